// termserial_enc.v -- the term encoder of termserial_array (docs/engines/termserial.md).
//
// A MB-bit two's-complement value v into its terms: `mask` bit e set when v has a term at 2^e,
// `sgn` the terms' signs.
//   BOOTH = 0 (plain, sign-magnitude): mask = |v| (a conditional negation: MB XORs and an MB-bit
//             adder with the sign as carry-in; |-2^(MB-1)| = 2^(MB-1) fits in MB bits unsigned),
//             sgn = v < 0 (one bit, every term's sign).
//   BOOTH = 1 (non-adjacent form): y = 3v = v + 2v (an (MB+1)-bit adder), mask = bits 1..MB of
//             (y XOR v) (MB XORs), sgn = mask AND bits 1..MB of v (MB ANDs): bit e set when the
//             term at 2^e is negative. (pos = mask AND bits 1..MB of y; pos - sgn = v.)
// Combinational.
`default_nettype none

module termserial_enc #(
    parameter MB    = 8,
    parameter BOOTH = 0,
    // derived, do not override
    parameter SGN   = (BOOTH != 0) ? MB : 1
) (
    input  wire [MB-1:0]  v,
    output wire [MB-1:0]  mask,
    output wire [SGN-1:0] sgn
);

    generate
        if (BOOTH != 0) begin : g_booth
            wire [MB:0] vx = {v[MB-1], v};        // v at MB+1 bits
            wire [MB:0] y  = vx + {v, 1'b0};      // 3v modulo 2^(MB+1)
            wire [MB:0] d  = y ^ vx;
            wire unused_d0 = d[0];                // bit 0 of 3v XOR v is always 0
            assign mask = d[MB:1];
            assign sgn  = d[MB:1] & vx[MB:1];
        end else begin : g_plain
            wire s = v[MB-1];
            assign mask = (v ^ {MB{s}}) + {{(MB - 1){1'b0}}, s};
            assign sgn  = s;
        end
    endgenerate

endmodule

`default_nettype wire
