// csa_rows.v -- N rows of W bits reduced to two by 3:2 row compressors in a fixed order (docs/
// engines/systolic.md, "mac: bitweight"): the rows form a queue; step k takes items 3k, 3k+1,
// 3k+2 and appends their sum x^y^z and carry maj(x,y,z) << 1 (modulo 2^W), until two remain.
// The order is the one models/engine/booth_compressor.cpp follows to count full and half adders.
// Shared by the bit-weight systolic PE and the bit-weight tree lane.
`default_nettype none

module csa_rows #(
    parameter W = 32,  // row width (>= 2)
    parameter N = 3    // rows in (>= 2)
) (
    input  wire [N*W-1:0] rows,  // row i at bits i*W .. i*W+W-1
    output wire [W-1:0]   s_out,  // the two rows left: the last step's sum ...
    output wire [W-1:0]   c_out   // ... and carry
);

    localparam NS = N - 2;       // steps (each removes one row)
    localparam NQ = N + 2 * NS;  // the queue, with every step's sum and carry
    genvar gq, gs;

    generate
        for (gq = 0; gq < NQ; gq = gq + 1) begin : g_q
            wire [W-1:0] r;
            if (gq < N) begin : g_in
                assign r = rows[gq*W +: W];
            end else if ((gq - N) % 2 == 0) begin : g_sum
                assign r = g_st[(gq-N)/2].s;
            end else begin : g_cy
                assign r = g_st[(gq-N)/2].c;
            end
        end
        for (gs = 0; gs < NS; gs = gs + 1) begin : g_st
            wire [W-1:0] x = g_q[3*gs].r, y = g_q[3*gs+1].r, z = g_q[3*gs+2].r;
            wire [W-1:0] s = x ^ y ^ z;
            wire [W-1:0] c = {(x[W-2:0] & y[W-2:0]) | (x[W-2:0] & z[W-2:0]) | (y[W-2:0] & z[W-2:0]), 1'b0};
        end
    endgenerate

    assign s_out = g_q[NQ-2].r;
    assign c_out = g_q[NQ-1].r;

endmodule

`default_nettype wire
