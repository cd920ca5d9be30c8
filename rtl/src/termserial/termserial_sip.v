// termserial_sip.v -- one serial inner-product unit of termserial_array (docs/engines/termserial.md).
//
// Each enabled cycle: LANES lane products, each the lane's operand `b_op` (BOTH = 0: the weight,
// MB bits signed, sign-extended; BOTH = 1: the weight term's one-hot, zero-extended) shifted
// left by the activation term's one-hot position `a_oh` (a one-hot MB:1 select per output bit;
// zero when a_oh is zero), then negated when the term's sign (a_sg XOR b_sg) is negative:
// PB = 2 MB bits, signed, exact. An adder tree sums them exactly (level l adds PB + l bits) and
// the sum goes into the ACC_BITS accumulator (sign-extended or wrapped; from zero on the fold's
// first cycle). No shifter: every term is already at its bit weight. acc_d is the
// accumulator's next value: the array copies it into the result register in the fold's last
// cycle.
`default_nettype none

module termserial_sip #(
    parameter LANES    = 16,
    parameter MB       = 8,
    parameter ACC_BITS = 32,
    parameter BOTH     = 0,
    // derived, do not override
    parameter PB       = 2 * MB,
    parameter TB       = PB + $clog2(LANES)
) (
    input  wire                    clk,
    input  wire                    en,      // compute this cycle
    input  wire                    first,   // the fold's first cycle: start from zero
    input  wire [LANES*MB-1:0]     a_oh,    // per lane: the activation term, one-hot (or zero)
    input  wire [LANES-1:0]        a_sg,    // ... its sign (1: negative)
    input  wire [LANES*MB-1:0]     b_op,    // per lane: the weight (BOTH = 0) or its term, one-hot
    input  wire [LANES-1:0]        b_sg,    // ... the weight term's sign (BOTH = 1; else zero)
    output wire [ACC_BITS-1:0]     acc_d
);

    // Lane products: the one-hot shifter, the negation and the sign select.
    wire [PB-1:0] prod [0:LANES-1];
    genvar gl;
    generate
        for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
            wire [MB-1:0] b = b_op[gl*MB +: MB];
            wire [PB-1:0] bx;
            if (BOTH != 0) begin : g_zx
                assign bx = {{MB{1'b0}}, b};
            end else begin : g_sx
                assign bx = {{MB{b[MB-1]}}, b};
            end
            reg [PB-1:0] sh;
            integer e;
            always @* begin
                sh = {PB{1'b0}};
                for (e = 0; e < MB; e = e + 1)
                    if (a_oh[gl*MB + e]) sh = sh | (bx << e);
            end
            wire neg = a_sg[gl] ^ b_sg[gl];
            assign prod[gl] = neg ? (~sh + 1'b1) : sh;
        end
    endgenerate

    // The adder tree: level l pairs level l-1's values (PB + l - 1 bits) into PB + l-bit sums;
    // an odd one out is sign-extended and passes up. LEVELS_T = clog2(LANES) levels.
    function integer nodes;  // values at level l
        input integer l;
        integer n, i;
        begin
            n = LANES;
            for (i = 0; i < l; i = i + 1) n = (n + 1) / 2;
            nodes = n;
        end
    endfunction
    localparam LEVELS_T = TB - PB;
    generate
        for (gl = 0; gl <= LEVELS_T; gl = gl + 1) begin : g_lvl
            wire [PB+gl-1:0] v [0:nodes(gl)-1];
            genvar gn;
            for (gn = 0; gn < nodes(gl); gn = gn + 1) begin : g_node
                if (gl == 0) begin : g_leaf
                    assign v[gn] = prod[gn];
                end else if (2 * gn + 1 < nodes(gl - 1)) begin : g_add
                    wire [PB+gl-2:0] x = g_lvl[gl-1].v[2*gn];
                    wire [PB+gl-2:0] y = g_lvl[gl-1].v[2*gn+1];
                    assign v[gn] = {x[PB+gl-2], x} + {y[PB+gl-2], y};
                end else begin : g_pass
                    wire [PB+gl-2:0] x = g_lvl[gl-1].v[2*gn];
                    assign v[gn] = {x[PB+gl-2], x};
                end
            end
        end
    endgenerate
    wire [TB-1:0] sum = g_lvl[LEVELS_T].v[0];

    // The sum at ACC_BITS (sign-extended, or its low bits: sums wrap modulo 2^ACC_BITS).
    wire [ACC_BITS-1:0] sx;
    generate
        if (ACC_BITS > TB) begin : g_ext
            assign sx = {{(ACC_BITS - TB){sum[TB-1]}}, sum};
        end else begin : g_trunc
            assign sx = sum[ACC_BITS-1:0];
            if (TB > ACC_BITS) begin : g_drop
                wire unused_sum_hi = ^sum[TB-1:ACC_BITS];  // sums wrap modulo 2^ACC_BITS
            end
        end
    endgenerate

    reg [ACC_BITS-1:0] acc_q;
    assign acc_d = (first ? {ACC_BITS{1'b0}} : acc_q) + sx;
    always @(posedge clk) begin
        if (en) acc_q <= acc_d;
    end

endmodule

`default_nettype wire
