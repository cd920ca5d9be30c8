// bitserial_sip.v -- one serial inner-product unit of bitserial_array (docs/engines/bitserial.md).
//
// Each enabled cycle: LANES slice products (a (BPS+1)-bit signed activation slice times the
// weight operand, WB bits signed), summed by an adder tree of TB bits (exact), moved to the
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

    // Products sign-extended to the tree width (no extension with one lane).
    wire [TB-1:0] prod_x [0:LANES-1];
    generate
        for (gl = 0; gl < LANES; gl = gl + 1) begin : g_ext_lane
            if (TB > PB) begin : g_wide
                assign prod_x[gl] = {{(TB - PB){prod[gl][PB-1]}}, prod[gl]};
            end else begin : g_same
                assign prod_x[gl] = prod[gl];
            end
        end
    endgenerate

    reg [TB-1:0] sum;
    integer l;
    always @* begin
        sum = prod_x[0];
        for (l = 1; l < LANES; l = l + 1)
            sum = sum + prod_x[l];
    end

    // The sum at ACC_BITS (sign-extended, or its low bits: sums wrap modulo 2^ACC_BITS).
    wire [ACC_BITS-1:0] sh0;
    generate
        if (ACC_BITS > TB) begin : g_ext
            assign sh0 = {{(ACC_BITS - TB){sum[TB-1]}}, sum};
        end else begin : g_trunc
            assign sh0 = sum[ACC_BITS-1:0];
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
