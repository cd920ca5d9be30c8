// bitserial_sip.v -- one serial inner-product unit of bitserial_array (docs/engines/bitserial.md).
//
// Each enabled cycle: LANES slice products summed by an adder tree (exact; level l adds PB + l
// bits), moved to the slices' bit weight by a log shifter (level b shifts by BPS*2^b when jsum[b]
// is set), and added into the ACC_BITS accumulator (from zero on the fold's first step). acc_d is
// the accumulator's next value: the array copies it into the result register in the fold's last
// cycle. Two lane forms:
//   MAG = 0: a (BPS+1)-bit signed activation slice times the weight operand (WB bits signed), a
//            signed product per lane;
//   MAG = 1 (one bit per step): a slice is +-(its bit), the sign the same in every lane (the
//            operand's sign step), so a lane is WB AND gates (a ? b : 0), the tree sums the
//            magnitudes (unsigned when UNS: both operands one bit, a popcount) and the accumulator
//            adds or subtracts the shifted sum (neg: acc + ~x + 1).
`default_nettype none

module bitserial_sip #(
    parameter LANES    = 16,
    parameter BPS      = 1,
    parameter MAG      = 0,    // 1: one-bit lanes, the sign applied once (neg), see above
    parameter UNS      = 0,    // 1 (with MAG): b_op unsigned too, the products are magnitudes
    parameter SB       = 2,    // slice input: BPS + 1 (MAG: 1)
    parameter WB       = 8,    // weight operand: MAX_BITS, or BPS + 1 when both serial (MAG: 1)
    parameter ACC_BITS = 32,
    parameter LEVELS   = 3,    // shifter levels: clog2(shift positions), may be 0
    parameter JW       = 3,    // jsum width: max(LEVELS, 1)
    // derived, do not override
    parameter PB       = (MAG != 0) ? WB : SB + WB,
    parameter TB       = PB + $clog2(LANES),
    parameter SV       = TB + UNS        // the sum as a signed value
) (
    input  wire                    clk,
    input  wire                    en,      // compute this cycle
    input  wire                    first,   // the fold's first step: start from zero
    input  wire [LANES*SB-1:0]     a_sl,    // per lane, signed (MAG: one bit); zero for gated lanes
    input  wire [LANES*WB-1:0]     b_op,    // per lane, signed (UNS: one bit)
    input  wire                    neg,     // MAG: subtract this step's sum (a sign step)
    input  wire [JW-1:0]           jsum,    // shift in units of BPS
    output wire [ACC_BITS-1:0]     acc_d
);

    // Lane products and the adder tree.
    wire [PB-1:0] prod [0:LANES-1];
    genvar gl;
    generate
        for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
            if (MAG != 0) begin : g_and
                assign prod[gl] = {WB{a_sl[gl*SB]}} & b_op[gl*WB +: WB];
            end else begin : g_mul
                assign prod[gl] = $signed(a_sl[gl*SB +: SB]) * $signed(b_op[gl*WB +: WB]);
            end
        end
    endgenerate

    // The adder tree: level l pairs level l-1's values (PB + l - 1 bits) into PB + l-bit sums;
    // an odd one out is extended (sign, or zero when UNS) and passes up. LEVELS_T = clog2(LANES) levels.
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
                    assign v[gn] = {x[PB+gl-2] & (UNS == 0), x} + {y[PB+gl-2] & (UNS == 0), y};
                end else begin : g_pass
                    wire [PB+gl-2:0] x = g_lvl[gl-1].v[2*gn];
                    assign v[gn] = {x[PB+gl-2] & (UNS == 0), x};
                end
            end
        end
    endgenerate
    wire [TB-1:0] tsum = g_lvl[LEVELS_T].v[0];
    wire [SV-1:0] sum;
    generate
        if (UNS != 0) begin : g_uns
            assign sum = {1'b0, tsum};
        end else begin : g_sgn
            assign sum = tsum;
        end
    endgenerate

    // The sum at ACC_BITS (sign-extended, or its low bits: sums wrap modulo 2^ACC_BITS).
    wire [ACC_BITS-1:0] sh0;
    generate
        if (ACC_BITS > SV) begin : g_ext
            assign sh0 = {{(ACC_BITS - SV){sum[SV-1]}}, sum};
        end else begin : g_trunc
            assign sh0 = sum[ACC_BITS-1:0];
            if (SV > ACC_BITS) begin : g_drop
                wire unused_sum_hi = ^sum[SV-1:ACC_BITS];  // sums wrap modulo 2^ACC_BITS
            end
        end
        if (LEVELS == 0) begin : g_noshift
            wire unused_jsum = ^jsum;  // one shift position: nothing to select
        end
    endgenerate
    reg [ACC_BITS-1:0] shifted;
    integer b;
    always @* begin
        shifted = sh0;
        for (b = 0; b < LEVELS; b = b + 1)
            if (jsum[b]) shifted = shifted << (BPS << b);
    end

    reg [ACC_BITS-1:0] acc_q;
    wire [ACC_BITS-1:0] base = first ? {ACC_BITS{1'b0}} : acc_q;
    generate
        if (MAG != 0) begin : g_addsub
            // acc - x = acc + ~x + 1: a conditional complement and the adder's carry-in.
            assign acc_d = base + (shifted ^ {ACC_BITS{neg}}) + {{(ACC_BITS - 1){1'b0}}, neg};
        end else begin : g_add
            wire unused_neg = neg;  // the slices carry their signs
            assign acc_d = base + shifted;
        end
    endgenerate
    always @(posedge clk) begin
        if (en) acc_q <= acc_d;
    end

endmodule

`default_nettype wire
