#!/usr/bin/env python3
"""Exact rational reference for the tensor-core block rule (models/numerics/accumulate.h).

An implementation independent of the C++ one: every value is a fractions.Fraction. Reads one
case per line on stdin:
    <in> <acc> <block> <frac> <RZ|RN> <subnormals 0|1> <c hex> <a hex,...> <b hex,...>
(in: fp16 bf16 tf32 fp8_e4m3 fp8_e5m2 fp32; acc: fp16 fp32) and writes per line the result
pattern in hex and the exact dot product c + sum a_i b_i rounded to nearest into acc (hex), so
that a test can also see how far the rule lands from the exact value. Finite inputs only.
"""
import sys
from fractions import Fraction

FORMATS = {  # exponent bits, fraction bits, OCP e4m3 (no inf)
    "fp16": (5, 10, False), "bf16": (8, 7, False), "tf32": (8, 10, False), "fp32": (8, 23, False),
    "fp8_e4m3": (4, 3, True), "fp8_e5m2": (5, 2, False),
}


def bias(f):
    return (1 << (FORMATS[f][0] - 1)) - 1


def decode(f, raw, subnormals=True):
    """(value, negative) of a finite pattern."""
    eb, fb, _ = FORMATS[f]
    neg = (raw >> (eb + fb)) & 1 == 1
    e = (raw >> fb) & ((1 << eb) - 1)
    m = raw & ((1 << fb) - 1)
    if e == 0:
        v = Fraction(m, 1 << fb) * Fraction(2) ** (1 - bias(f))
        if not subnormals:
            v = Fraction(0)
    else:
        v = (1 + Fraction(m, 1 << fb)) * Fraction(2) ** (e - bias(f))
    return (-v if neg else v), neg


def floor_log2(m):
    e = m.numerator.bit_length() - m.denominator.bit_length()
    while Fraction(2) ** e > m:
        e -= 1
    while Fraction(2) ** (e + 1) <= m:
        e += 1
    return e


def encode(f, v, rounding, negative_zero=False):
    eb, fb, ocp = FORMATS[f]
    sign = 1 << (eb + fb)
    if v == 0:
        return sign if negative_zero else 0
    s = sign if v < 0 else 0
    m = abs(v)
    emin, emax = 1 - bias(f), (1 << eb) - 2 - bias(f)
    e = max(floor_log2(m), emin)
    n = m / Fraction(2) ** (e - fb)
    q = int(n)  # toward zero
    if rounding == "RN":
        r = n - q
        if r > Fraction(1, 2) or (r == Fraction(1, 2) and q % 2 == 1):
            q += 1
    if q == 1 << (fb + 1):
        q, e = 1 << fb, e + 1
    if e > emax:
        if rounding == "RZ":
            return s | (((1 << eb) - 2) << fb) | ((1 << fb) - 1)
        return s | (((1 << eb) - 1) << fb)  # inf (acc formats are IEEE)
    if q < (1 << fb):
        return s | q  # subnormal
    return s | ((e + bias(f)) << fb) | (q - (1 << fb))


def block(inf, acc, frac, rounding, subnormals, c_raw, a, b):
    c, cneg = decode(acc, c_raw, subnormals)
    terms, negs = [c], [cneg]
    for x, y in zip(a, b):
        (xv, xn), (yv, yn) = decode(inf, x, subnormals), decode(inf, y, subnormals)
        terms.append(xv * yv)
        negs.append(xn != yn)
    nonzero = [t for t in terms if t != 0]
    if not nonzero:
        return encode(acc, Fraction(0), rounding, all(negs))
    e = max(floor_log2(abs(t)) for t in nonzero)
    unit = Fraction(2) ** (e - frac)
    v = sum(int(t / unit) for t in terms) * unit
    if not subnormals and v != 0 and abs(v) < Fraction(2) ** (1 - bias(acc)):
        return encode(acc, Fraction(0), rounding, v < 0)
    return encode(acc, v, rounding)


def main():
    for line in sys.stdin:
        p = line.split()
        if not p:
            continue
        inf, acc, blk, frac, rnd, sub = p[0], p[1], int(p[2]), int(p[3]), p[4], p[5] == "1"
        c = int(p[6], 16)
        a = [int(x, 16) for x in p[7].split(",")]
        b = [int(x, 16) for x in p[8].split(",")]
        r = c
        for k0 in range(0, len(a), blk):
            r = block(inf, acc, frac, rnd, sub, r, a[k0:k0 + blk], b[k0:k0 + blk])
        exact = decode(acc, c)[0] + sum(decode(inf, x)[0] * decode(inf, y)[0] for x, y in zip(a, b))
        print("%x %x" % (r, encode(acc, exact, "RN")))


if __name__ == "__main__":
    main()
