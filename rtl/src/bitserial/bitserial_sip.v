// bitserial_sip.v -- one serial inner-product unit of bitserial_array (docs/engines/bitserial.md).
//
// Each enabled cycle: LANES slice products (a (BPS+1)-bit signed activation slice times the
// weight operand, WB bits signed), summed by an adder tree (exact; level l adds PB + l bits), moved to the
// slices' bit weight by a log shifter (level b shifts by BPS*2^b when jsum[b] is set), and added
// into the ACC_BITS accumulator (from zero on the fold's first step). acc_d is the accumulator's
// next value: the array copies it into the result register in the fold's last cycle.
`default_nettype none

module bitserial_sip #(
    parameter LANES    = 16,
    parameter BPS      = 1,
    parameter SB       = 2,    // slice multiplier input: BPS + 1
    parameter WB       = 8,    // weight operand: MAX_BITS, or BPS + 1 when both serial
    parameter ACC_BITS = 32,
    parameter LEVELS   = 3,    // shifter levels: clog2(shift positions), may be 0
    parameter JW       = 3,    // jsum width: max(LEVELS, 1)
    // derived, do not override
    parameter PB       = SB + WB,
    parameter TB       = PB + $clog2(LANES)
) (
    input  wire                    clk,
    input  wire                    en,      // compute this cycle
    input  wire                    first,   // the fold's first step: start from zero
    input  wire [LANES*SB-1:0]     a_sl,    // per lane, signed (zero for gated lanes)
    input  wire [LANES*WB-1:0]     b_op,    // per lane, signed
    input  wire [JW-1:0]           jsum,    // shift in units of BPS
    output wire [ACC_BITS-1:0]     acc_d
);

    // Lane products and the adder tree.
    wire [PB-1:0] prod [0:LANES-1];
    genvar gl;
    generate
        for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
            assign prod[gl] = $signed(a_sl[gl*SB +: SB]) * $signed(b_op[gl*WB +: WB]);
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
    wire [ACC_BITS-1:0] sh0;
    generate
        if (ACC_BITS > TB) begin : g_ext
            assign sh0 = {{(ACC_BITS - TB){sum[TB-1]}}, sum};
        end else begin : g_trunc
            assign sh0 = sum[ACC_BITS-1:0];
            if (TB > ACC_BITS) begin : g_drop
                wire unused_sum_hi = ^sum[TB-1:ACC_BITS];  // sums wrap modulo 2^ACC_BITS
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
    assign acc_d = (first ? {ACC_BITS{1'b0}} : acc_q) + shifted;
    always @(posedge clk) begin
        if (en) acc_q <= acc_d;
    end

endmodule

`default_nettype wire
