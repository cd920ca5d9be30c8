// fp_add.v -- a combinational floating-point shift-and-add (the LUT engine's accumulator step):
//   y = round_out((a + (-1)^neg_b * 2^sh_b * b) * 2^(half ? -1 : 0))
// a and b are patterns of the input format (sign | EI exponent bits | FI fraction bits, IEEE
// 754: bias 2^(EI-1) - 1, subnormals, inf, NaN), y a pattern of the output format (EO, FO; never
// wider than the input). One rounding, to nearest, ties to even; subnormals kept; overflow gives
// +-inf; a NaN in or inf - inf gives the canonical quiet NaN (sign 0, fraction MSB set); an
// exact zero sum is +0 but for -0 + -0; a nonzero sum that rounds to zero keeps its sign. Bit
// for bit models/numerics/accumulate.cpp's add_scaled() (tests/rtl/fp_add_rtl_test.cpp).
//
// A standard IEEE adder: unpack (a subnormal's exponent is 1, its hidden bit 0), add sh_b to b's
// exponent, order by exponent, align the other significand with GX extra bits (the last one
// sticky), add or subtract, normalize by a leading-zero count, take 1 off the exponent for
// `half`, denormalize into the output's subnormal range, round, and override for specials.
`default_nettype none

module fp_add #(
    parameter EI = 5, FI = 10,   // input format exponent / fraction bits
    parameter EO = 5, FO = 10,   // output format (never wider than the input: EO <= EI, FO <= FI)
    parameter SHW = 2            // bits of the b_exp shift port (b_exp in 0 .. 2^SHW - 1), >= 1
) (
    input  wire [EI+FI:0] a,
    input  wire [EI+FI:0] b,
    input  wire           neg_b,     // negate b
    input  wire [SHW-1:0] sh_b,      // b is scaled by 2^sh_b (exactly, before the add)
    input  wire           half,      // the result is scaled by 1/2 (exactly, before the rounding)
    output wire [EO+FO:0] y
);

    localparam PI = FI + 1;  // significand bits with the hidden bit
    localparam PO = FO + 1;
    // Extra bits below the larger operand's LSB. 3 (guard, round, sticky) make the one rounding
    // exact once bits are shifted out; 2^SHW - 1 keep exact the one case where the larger
    // exponent holds the smaller magnitude (a subnormal b scaled up by at most 2^SHW - 1 binades
    // over a), so the sum can be negated after the fact without a sticky bit in the way.
    localparam GX = ((1 << SHW) - 1 > 3) ? (1 << SHW) - 1 : 3;
    localparam AW = PI + GX;   // an aligned significand
    localparam SW = AW + 1;    // the sum (one carry bit)
    localparam VW = PO + 2;    // the output significand, round bit, sticky bit
    localparam DW = $clog2(AW + 1);
    localparam LW = $clog2(SW + 1);
    localparam KW = $clog2(VW + 1);
    // Exponents: XW-bit two's complement, wide enough for a biased input exponent plus sh_b plus
    // one carry, and for the output-biased exponent of a fully cancelled sum.
    localparam XW = $clog2((1 << EI) + (1 << SHW) + SW + 4) + 2;
    localparam BIAS_I = (1 << (EI - 1)) - 1;
    localparam BIAS_O = (1 << (EO - 1)) - 1;
    localparam [XW-1:0] EOFF  = 1 - BIAS_I + BIAS_O;   // carry position, input to output bias
    localparam [XW-1:0] AW_X  = AW[XW-1:0];
    localparam [XW-1:0] VW_X  = VW[XW-1:0];
    localparam [XW-1:0] ONE_X = 1;
    localparam [XW-1:0] INF_X = (1 << EO) - 1;          // the output's inf/NaN exponent field
    localparam [DW-1:0] AW_D  = AW[DW-1:0];
    localparam [KW-1:0] VW_K  = VW[KW-1:0];
    localparam [LW-1:0] SW_L  = SW[LW-1:0];

    // Unpack. A subnormal (exponent field 0) has exponent 1 and hidden bit 0.
    wire          sa    = a[EI+FI];
    wire          sb    = b[EI+FI] ^ neg_b;
    wire [EI-1:0] ea    = a[EI+FI-1:FI];
    wire [EI-1:0] eb    = b[EI+FI-1:FI];
    wire          a_nrm = |ea, b_nrm = |eb;
    wire          a_top = &ea, b_top = &eb;          // inf or NaN
    wire          a_nan = a_top & (|a[FI-1:0]), b_nan = b_top & (|b[FI-1:0]);
    wire          a_inf = a_top & ~(|a[FI-1:0]), b_inf = b_top & ~(|b[FI-1:0]);
    wire [PI-1:0] ma    = {a_nrm, a[FI-1:0]};
    wire [PI-1:0] mb    = {b_nrm, b[FI-1:0]};
    wire [XW-1:0] xa    = {{(XW - EI){1'b0}}, a_nrm ? ea : {{(EI - 1){1'b0}}, 1'b1}};
    wire [XW-1:0] xb    = {{(XW - EI){1'b0}}, b_nrm ? eb : {{(EI - 1){1'b0}}, 1'b1}}
                        + {{(XW - SHW){1'b0}}, sh_b};

    // Order by exponent only: x has the larger one (a on a tie). y's magnitude may still be the
    // larger (equal exponents, or a scaled-up subnormal b); the sum's sign bit catches that.
    wire [XW-1:0] dab   = xa - xb;
    wire          a_big = ~dab[XW-1];
    wire          sx    = a_big ? sa : sb;
    wire          sy    = a_big ? sb : sa;
    wire [PI-1:0] mx    = a_big ? ma : mb;
    wire [PI-1:0] my    = a_big ? mb : ma;
    wire [XW-1:0] ex    = a_big ? xa : xb;
    wire [XW-1:0] d     = a_big ? dab : xb - xa;

    // Align y: shift right by d (saturated: past AW every bit is sticky), ORing the bits shifted
    // out into the last bit. The sum then lies strictly between the same two multiples of 2 as
    // the exact sum, so it rounds the same at any rounding point from bit 1 up; and bits are only
    // lost when d > GX, where x is normalized, the sum keeps its top one at bit AW - 2 or above
    // and the round bit lands at GX - 2 >= 1 or above.
    wire [DW-1:0]     d_sat  = (d > AW_X) ? AW_D : d[DW-1:0];
    wire [2*AW-1:0]   y_wide = {my, {GX{1'b0}}, {AW{1'b0}}} >> d_sat;
    wire [AW-1:0]     y_al   = {y_wide[2*AW-1:AW+1], y_wide[AW] | (|y_wide[AW-1:0])};
    wire [AW-1:0]     x_al   = {mx, {GX{1'b0}}};

    // Add or subtract with a sign bit. A negative difference only arises with nothing shifted
    // out (d <= 2^SHW - 1 <= GX), so negating it is exact.
    wire          sub  = sx ^ sy;
    wire [SW:0]   sum  = sub ? {2'b00, x_al} - {2'b00, y_al} : {2'b00, x_al} + {2'b00, y_al};
    wire          flip = sum[SW];
    wire [SW-1:0] mag  = flip ? ~sum[SW-1:0] + 1'b1 : sum[SW-1:0];
    wire          sr   = sx ^ flip;
    wire          zero = ~(|mag);  // exact: a sum with bits lost stays above 2^(AW-2)

    // Normalize: the leading one to the top (mag == 0 is a zero, overridden below).
    reg [LW-1:0] lz;
    integer i;
    always @* begin
        lz = SW_L;
        for (i = 0; i < SW; i = i + 1)
            if (mag[i]) lz = SW_L - 1'b1 - i[LW-1:0];
    end
    wire [SW-1:0] nm = mag << lz;
    // The top bit of mag has exponent ex + 1 (x's hidden bit is one below it); into the output's
    // bias, less the leading zeros, less 1 for `half` (exact: it only moves the rounding point).
    wire [XW-1:0] e_o = ex + EOFF - {{(XW - LW){1'b0}}, lz} - {{(XW - 1){1'b0}}, half};

    // The output significand, its round bit, and the sticky OR of everything below.
    wire [VW-1:0] v0  = {nm[SW-1:SW-PO-1], |nm[SW-PO-2:0]};
    // Below the output's smallest normal exponent (1): shift right to exponent 1 (a subnormal,
    // hidden bit 0), keeping the shifted-out bits as sticky; past VW everything is sticky.
    wire          tiny  = e_o[XW-1] | (e_o == {XW{1'b0}});
    wire [XW-1:0] k_x   = ONE_X - e_o;
    wire [KW-1:0] k     = ~tiny ? {KW{1'b0}} : (k_x > VW_X) ? VW_K : k_x[KW-1:0];
    wire [2*VW-1:0] v_wide = {v0, {VW{1'b0}}} >> k;
    wire [VW-1:0] v     = {v_wide[2*VW-1:VW+1], v_wide[VW] | (|v_wide[VW-1:0])};
    wire          unused_hidden = v[VW-1];  // implied by the exponent field

    // Round to nearest, ties to even. Adding the round-up to exponent | fraction carries a
    // subnormal into the smallest normal and the largest finite into inf, as IEEE 754 wants.
    wire          rnd    = v[1] & (v[0] | v[2]);
    wire [EO-1:0] e_fld  = tiny ? {EO{1'b0}} : e_o[EO-1:0];
    wire [EO+FO-1:0] mag_o = {e_fld, v[VW-2:2]} + {{(EO + FO - 1){1'b0}}, rnd};
    wire          ovf    = ~e_o[XW-1] & (e_o >= INF_X);  // already past max finite before rounding

    // Specials. inf - inf and any NaN give the canonical NaN; an inf in wins over a finite
    // value; an exact zero cannot overflow (its e_o is meaningless).
    wire          nan    = a_nan | b_nan | (a_inf & b_inf & (sa ^ sb));
    wire          inf_in = a_inf | b_inf;
    wire          s_inf  = a_inf ? sa : sb;
    assign y = nan    ? {1'b0, {EO{1'b1}}, 1'b1, {(FO - 1){1'b0}}}
             : inf_in ? {s_inf, {EO{1'b1}}, {FO{1'b0}}}
             : zero   ? {sa & sb, {(EO + FO){1'b0}}}  // exact zero: -0 only for -0 + -0
             : ovf    ? {sr, {EO{1'b1}}, {FO{1'b0}}}
             : {sr, mag_o};

endmodule

`default_nettype wire
