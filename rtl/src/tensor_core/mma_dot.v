// mma_dot.v -- one tensor-core dot-product unit: d = c + sum_{i<N} a_i * b_i, one block of the
// block rule of models/numerics/accumulate.h (docs/numerics.md), or exact int8 products.
//
// mode 0 (fp16 x fp16 -> fp32, Ampere's rule with N = 8, FRAC = 24): the products are exact
// (11 x 11-bit significands); E is the largest exponent floor(log2 |t|) among the non-zero
// terms (the N products and c); every term is truncated toward zero to a multiple of
// 2^(E - FRAC) and the truncated terms are added exactly; the sum is rounded toward zero into
// fp32 (subnormals kept; overflow to the largest finite value). An exact zero sum is +0 unless
// every term is -0. NaN in, inf x 0 or inf - inf give the canonical NaN 0x7fc00000; otherwise an
// inf among the terms gives that inf.
// mode 1 (int8 x int8 -> int32): lane i's low 8 bits are two's-complement int8; d = c + the
// products modulo 2^32.
// Timing: operands taken at rising edge t (in_valid high) go to an input register; the result
// register holds d, with out_valid high, after edge t + 1. A new operand set may come every cycle.
`default_nettype none

module mma_dot #(
    parameter N    = 8,    // products per block
    parameter FRAC = 24,   // fraction bits kept below the block's leading bit
    // derived, do not override
    parameter TW   = FRAC + 24,          // a term's significand with FRAC bits below it
    parameter SW   = FRAC + 8,           // the signed sum of N + 1 truncated terms
    parameter MB   = $clog2(SW)          // bit index in the sum
) (
    input  wire              clk,
    input  wire              rst,        // synchronous, active high
    input  wire              in_valid,
    input  wire              mode,       // 0: fp16 -> fp32 block rule, 1: int8 -> int32
    input  wire [N*16-1:0]   a,          // lane i at [i*16 +: 16]
    input  wire [N*16-1:0]   b,
    input  wire [31:0]       c,
    output reg               out_valid,
    output reg  [31:0]       d
);

    localparam signed [11:0] FRAC_S = FRAC[11:0];  // the exponent arithmetic's width
    localparam signed [11:0] TW_S   = TW[11:0];

    // ------------------------------------------------------------------ input register
    reg              v_q, mode_q;
    reg [N*16-1:0]   a_q, b_q;
    reg [31:0]       c_q;
    always @(posedge clk) begin
        if (rst) begin
            v_q       <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            v_q       <= in_valid;
            out_valid <= v_q;
        end
        if (in_valid) begin
            mode_q <= mode;
            a_q    <= a;
            b_q    <= b;
            c_q    <= c;
        end
        if (v_q) d <= mode_q ? int_d : fp_d;
    end

    // ------------------------------------------------------------------ int8 -> int32
    reg [31:0] int_d;
    integer ii;
    always @* begin
        int_d = c_q;
        for (ii = 0; ii < N; ii = ii + 1)
            int_d = int_d + {{24{a_q[ii*16+7]}}, a_q[ii*16 +: 8]} * {{24{b_q[ii*16+7]}}, b_q[ii*16 +: 8]};
    end

    // ------------------------------------------------------------------ fp16 -> fp32
    // Term t (t < N: product t, t = N: c): significand sig[t] (product: 22 bits, c: 24 bits), the
    // exponent of its LSB lsb[t] (signed), its sign, whether it is zero, inf or NaN.
    reg  [23:0]        sig  [0:N];
    reg  signed [11:0] lsb  [0:N];
    reg  signed [11:0] top  [0:N];   // floor(log2 |t|) when non-zero
    reg  [N:0]         neg, zero, inf;
    reg                nan;
    reg  signed [11:0] e_max;
    reg                any;
    /* verilator lint_off UNUSEDSIGNAL */
    reg  [TW-1:0]      shifted;   // zero above bit FRAC
    /* verilator lint_on UNUSEDSIGNAL */
    reg  signed [SW-1:0] sum;
    reg  [SW-1:0]      mag;
    reg  [MB-1:0]      msb;
    reg  signed [11:0] r_exp, sh;
    reg  [22:0]        frac23;
    reg  [31:0]        fp_d;
    reg                inf_pos, inf_neg;
    integer t, k;
    reg [4:0]  ea, eb;
    reg [10:0] ma, mb;
    reg [21:0] prod;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [SW+23:0] wide;  // the sum's magnitude shifted so that bit 0 is the fraction's LSB
    /* verilator lint_on UNUSEDSIGNAL */
    reg        a_nan, b_nan, a_inf, b_inf;

    always @* begin
        nan = 1'b0;
        for (t = 0; t < N; t = t + 1) begin
            ea = a_q[t*16+10 +: 5];
            eb = b_q[t*16+10 +: 5];
            ma = {ea != 5'd0, a_q[t*16 +: 10]};
            mb = {eb != 5'd0, b_q[t*16 +: 10]};
            a_nan = (ea == 5'h1f) && (a_q[t*16 +: 10] != 10'd0);
            b_nan = (eb == 5'h1f) && (b_q[t*16 +: 10] != 10'd0);
            a_inf = (ea == 5'h1f) && (a_q[t*16 +: 10] == 10'd0);
            b_inf = (eb == 5'h1f) && (b_q[t*16 +: 10] == 10'd0);
            neg[t]  = a_q[t*16+15] ^ b_q[t*16+15];
            prod    = {11'd0, ma} * {11'd0, mb};
            sig[t]  = {2'b00, prod};
            // value = sig * 2^(ea' + eb' - 50), ea' = max(ea, 1)
            lsb[t]  = $signed({7'd0, (ea == 5'd0) ? 5'd1 : ea}) + $signed({7'd0, (eb == 5'd0) ? 5'd1 : eb}) - 12'sd50;
            inf[t]  = (a_inf | b_inf);
            nan     = nan | a_nan | b_nan | (a_inf & ((eb == 5'd0) && (b_q[t*16 +: 10] == 10'd0)))
                                          | (b_inf & ((ea == 5'd0) && (a_q[t*16 +: 10] == 10'd0)));
            zero[t] = (ma == 11'd0) || (mb == 11'd0);
        end
        // c: fp32, value = sig * 2^(ec' - 150)
        sig[N]  = {c_q[30:23] != 8'd0, c_q[22:0]};
        lsb[N]  = $signed({4'd0, (c_q[30:23] == 8'd0) ? 8'd1 : c_q[30:23]}) - 12'sd150;
        neg[N]  = c_q[31];
        inf[N]  = (c_q[30:23] == 8'hff) && (c_q[22:0] == 23'd0);
        nan     = nan | ((c_q[30:23] == 8'hff) && (c_q[22:0] != 23'd0));
        zero[N] = (sig[N] == 24'd0);
        for (t = 0; t < N; t = t + 1) zero[t] = zero[t] & ~inf[t];
        // +inf and -inf together are NaN
        inf_pos = 1'b0;
        inf_neg = 1'b0;
        for (t = 0; t <= N; t = t + 1) begin
            inf_pos = inf_pos | (inf[t] & ~neg[t]);
            inf_neg = inf_neg | (inf[t] & neg[t]);
        end
        nan = nan | (inf_pos & inf_neg);

        // E: the largest floor(log2 |t|) among the non-zero terms
        any   = 1'b0;
        e_max = 12'sd0;
        for (t = 0; t <= N; t = t + 1) begin
            top[t] = lsb[t];
            for (k = 1; k < 24; k = k + 1)
                if (sig[t][k]) top[t] = lsb[t] + k[11:0];
            if (!zero[t] && (!any || top[t] > e_max)) begin
                e_max = top[t];
                any   = 1'b1;
            end
        end

        // Truncate each term to a multiple of 2^(E - FRAC) and add
        sum = {SW{1'b0}};
        for (t = 0; t <= N; t = t + 1) begin
            sh = e_max - lsb[t];  // >= 0 for every non-zero term: its top is at most E
            if (zero[t] || sh >= TW_S)
                shifted = {TW{1'b0}};
            else
                shifted = ({{(TW - 24){1'b0}}, sig[t]} << FRAC) >> sh;
            // below 2^(FRAC + 1): the term's top is at most E
            sum = neg[t] ? sum - $signed({{(SW - FRAC - 1){1'b0}}, shifted[FRAC:0]})
                         : sum + $signed({{(SW - FRAC - 1){1'b0}}, shifted[FRAC:0]});
        end

        // Round toward zero into fp32
        mag = sum[SW-1] ? -sum : sum;
        msb = {MB{1'b0}};
        for (k = 1; k < SW; k = k + 1)
            if (mag[k]) msb = k[MB-1:0];
        r_exp = $signed({{(12 - MB){1'b0}}, msb}) + e_max - FRAC_S;
        // the right shift that puts the result's fraction LSB at bit 0: normal results keep 24
        // bits from the leading one; subnormal ones have their LSB at 2^-149
        if (r_exp >= -12'sd126)
            sh = $signed({{(12 - MB){1'b0}}, msb}) - 12'sd23;
        else
            sh = -12'sd149 - e_max + FRAC_S;
        wide = {mag, 24'd0} >> (sh + 12'sd24);
        frac23 = wide[22:0];  // normal results: the leading one (bit 23) is implied
        if (nan)
            fp_d = 32'h7fc00000;
        else if (inf_pos | inf_neg)
            fp_d = {inf_neg, 8'hff, 23'd0};
        else if (!any)
            fp_d = {&neg, 31'd0};           // every term a zero: -0 only if all are -0
        else if (mag == {SW{1'b0}})
            fp_d = 32'd0;                    // cancellation: +0
        else if (r_exp > 12'sd127)
            fp_d = {sum[SW-1], 31'h7f7fffff};  // toward zero: the largest finite value
        else if (r_exp >= -12'sd126)
            fp_d = {sum[SW-1], r_exp[7:0] + 8'd127, frac23};
        else
            fp_d = {sum[SW-1], 8'd0, frac23};
    end

endmodule

`default_nettype wire
