// booth_rows.v -- the partial-product rows of one radix-4 Booth-encoded product and its
// correction row (docs/engines/systolic.md, "mac: bitweight"). Shared by the bit-weight systolic
// PE (rtl/src/systolic/systolic_pe.v) and the bit-weight tree lane (rtl/src/mactree/
// mactree_lane.v), as models/engine/booth_compressor.cpp serves both models.
//
// Digit d of the encoded operand (enc[3d] one, enc[3d+1] two, enc[3d+2] neg) selects
// p = ((one & y) | (two & 2y)) ^ neg over IN_BITS + 1 bits. Row d (rows[d*W +: W]) holds
// p[0..IN_BITS-1] from bit 2d, ~p[IN_BITS] at bit 2d + IN_BITS (the sign-extension trick: the
// missing -2^(2d+IN_BITS) is in the correction row) and zeros elsewhere, cut at W bits. The
// correction row (rows[D*W +: W]) holds neg_d at bit 2d and KMULT times the constant
// K = -sum_d 2^(2d + IN_BITS), modulo 2^W, elsewhere (K's bits lie at IN_BITS and above, never on
// a neg bit: 2d <= IN_BITS - 1). Constants are literal, so that synthesis folds exactly the ones
// the models' cell counts assume.
`default_nettype none

module booth_rows #(
    parameter IN_BITS = 8,
    parameter W       = 32,  // row width (at most 64)
    parameter KMULT   = 1,   // how many products' constants K the correction row holds
    // derived, do not override
    parameter D       = (IN_BITS + 1) / 2
) (
    input  wire [3*D-1:0]     enc,   // one, two, neg per digit
    input  wire [IN_BITS-1:0] y,     // the other operand, signed
    output wire [(D+1)*W-1:0] rows   // R_0 .. R_(D-1), then the correction row
);

    localparam [63:0] KC = k_const(IN_BITS, D, KMULT);
    wire [IN_BITS:0] ys  = {y[IN_BITS-1], y};  // y at IN_BITS + 1 bits
    wire [IN_BITS:0] ys1 = {y, 1'b0};          // ys[j-1], ys[-1] = 0
    genvar gd, gb;

    generate
        for (gd = 0; gd < D; gd = gd + 1) begin : g_pp
            wire one = enc[3*gd], two = enc[3*gd+1], neg = enc[3*gd+2];
            wire [IN_BITS:0] p = (({(IN_BITS + 1){one}} & ys) | ({(IN_BITS + 1){two}} & ys1))
                               ^ {(IN_BITS + 1){neg}};
            for (gb = 0; gb < W; gb = gb + 1) begin : g_b
                if (gb < 2 * gd || gb > 2 * gd + IN_BITS) begin : g_0
                    assign rows[gd*W + gb] = 1'b0;
                end else if (gb == 2 * gd + IN_BITS) begin : g_s
                    assign rows[gd*W + gb] = ~p[IN_BITS];
                end else begin : g_p
                    assign rows[gd*W + gb] = p[gb-2*gd];
                end
            end
            if (2 * gd + IN_BITS >= W) begin : g_cut
                // Waiver: row bits at 2^W and above wrap away.
                /* verilator lint_off UNUSEDSIGNAL */
                wire unused_p = ^p;
                /* verilator lint_on UNUSEDSIGNAL */
            end
        end
        for (gb = 0; gb < W; gb = gb + 1) begin : g_corr
            if (gb % 2 == 0 && gb / 2 < D) begin : g_neg
                assign rows[D*W + gb] = g_pp[gb/2].neg;
            end else if (gb < 64 && KC[gb % 64]) begin : g_1
                assign rows[D*W + gb] = 1'b1;
            end else begin : g_0
                assign rows[D*W + gb] = 1'b0;
            end
        end
    endgenerate

    // m K modulo 2^64 (terms at 2^64 and above vanish, as in booth_product_rows()).
    function [63:0] k_const;
        input integer in_bits, d, m;
        integer i;
        reg [63:0] s;
        begin
            s = 64'd0;
            for (i = 0; i < d; i = i + 1)
                if (2 * i + in_bits < 64)
                    s = s + (64'd1 << (2 * i + in_bits));
            k_const = (~s + 64'd1) * m[31:0];
        end
    endfunction

endmodule

`default_nettype wire
