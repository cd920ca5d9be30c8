// systolic_pe.v -- one processing element of the tessera systolic array.
//
// One PE design serves all three dataflows (docs/engines/systolic.md, docs/rtl.md):
//   os    : a_q and b_q are the pipeline registers of the two moving operands
//           (a flows right, b flows down); acc_q is the output-stationary accumulator.
//   ws/is : a_q is the pipeline register of the moving operand (flows right);
//           b_q holds the stationary operand; acc_q is the psum register (psums flow down).
//           WEIGHT_DB = 0: b_q is loaded from the column broadcast bus (w_ld, w_in).
//           WEIGHT_DB = 1: the bus loads the shadow register sh_q instead (w_ld, possibly while
//           the previous fold still computes), and the PE's first MAC of a fold multiplies
//           by sh_q and copies it into b_q (the swap): the swap travels through the array
//           with the operand wavefront, so no PE switches weights before its last MAC of the
//           previous fold.
// v_q is the valid bit travelling with the moving operand; v_in & ~v_q marks the PE's first
// operand of a fold (v_q is clear between folds).
//
// MAC = 0 (plain): a_q holds the operand, one signed multiplier and one ACC_BITS adder.
// MAC = 1 (bit-weight, docs/engines/systolic.md "mac: bitweight"): a_q holds the operand's D
//   radix-4 Booth digits (one, two, neg at [3i +: 3]; the array encodes at the west edge), acc_q
//   holds two rows {Cy, S} (carry-save), and a PE's MAC selects D partial-product rows and
//   reduces [R_0..R_(D-1), corr, S, Cy] with 3:2 compressors into the new S, Cy. No adder: the
//   final S + Cy is per column, below the output mux (systolic_array.v).
//
// Registers: a_q (XW), b_q (IN_BITS), acc_q (PW), v_q (1); WEIGHT_DB: sh_q (IN_BITS).
// Every register has a clock enable that is low unless the PE is in the used r x c region of
// the current fold (en), so unused PEs never change state (clock-gating style). The shadow's
// enable (w_ld) is decoded by the array for the region of the fold being loaded.
// Arithmetic: signed, wrapping modulo 2^ACC_BITS. MAC = 0 requires ACC_BITS > IN_BITS; MAC = 1
// takes any ACC_BITS >= 2 (rows are cut at ACC_BITS).
`default_nettype none

module systolic_pe #(
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter WEIGHT_DB = 0,  // 1: shadow register for the stationary operand (double buffering)
    parameter MAC      = 0,   // 0: plain multiplier + adder; 1: bit-weight (Booth digits, carry-save)
    // derived, do not override
    parameter XW       = (MAC != 0) ? 3 * ((IN_BITS + 1) / 2) : IN_BITS,  // a_q: operand or its digits
    parameter PW       = (MAC != 0) ? 2 * ACC_BITS : ACC_BITS             // acc_q: acc, or {Cy, S}
) (
    input  wire                clk,
    input  wire                rst,      // synchronous, active high (clears v_q only)
    input  wire                is_os,    // 1: output stationary; 0: ws / is
    input  wire                en,       // PE used in this fold (and fold busy)
    input  wire                last,     // last cycle of the fold
    input  wire                v_in,     // valid of the moving operand arriving this cycle
    input  wire [XW-1:0]       a_in,     // from left neighbour's a_q / row edge (MAC=1: encoded)
    input  wire [IN_BITS-1:0]  b_in,     // os: from upper neighbour's b_q / column edge
    input  wire                w_ld,     // ws/is: latch the column bus this cycle (into b_q, or sh_q if WEIGHT_DB)
    input  wire [IN_BITS-1:0]  w_in,     // ws/is: column broadcast bus
    input  wire [PW-1:0]       psum_in,  // ws/is: upper neighbour's psum (row 0: zero)
    output wire                v_o,
    output wire [XW-1:0]       a_o,
    output wire [IN_BITS-1:0]  b_o,
    output wire [PW-1:0]       acc_o,
    output wire                mac_o,    // this PE multiplies/adds this cycle
    output wire [PW-1:0]       res_o     // os: acc_q; ws/is: the psum being written
);

    reg                v_q;
    reg [XW-1:0]       a_q;
    reg [IN_BITS-1:0]  b_q;
    reg [PW-1:0]       acc_q;

    // Enables (each is a clock enable of its register).
    wire mac    = en & v_in;                          // one multiply-accumulate
    wire first  = v_in & ~v_q;                        // the fold's first operand reaches this PE
    wire swap   = (WEIGHT_DB != 0) & ~is_os & mac & first;  // ws/is: shadow -> b_q
    wire a_we   = mac;                                // moving operand pipeline register
    wire b_we   = is_os ? mac                         // os: b pipeline
                : (WEIGHT_DB != 0) ? swap             // ws/is, double-buffered: the swap
                : (en & w_ld);                        // ws/is, single: stationary load
    wire acc_we = mac;                                // accumulator / psum register

    // The stationary operand this cycle: with WEIGHT_DB, the first MAC reads the shadow.
    wire [IN_BITS-1:0] b_in_st;   // what b_q loads in ws/is
    wire [IN_BITS-1:0] stat;
    generate
        if (WEIGHT_DB != 0) begin : g_db
            reg [IN_BITS-1:0] sh_q;
            wire sh_we = w_ld;                        // shadow load (region-gated by the array)
            always @(posedge clk)
                if (sh_we)
                    sh_q <= w_in;
            assign stat    = swap ? sh_q : b_q;
            assign b_in_st = sh_q;
        end else begin : g_sb
            assign stat    = b_q;
            assign b_in_st = w_in;
        end
    endgenerate

    // Multiplier operands: the incoming moving operand(s), or the stationary one.
    wire [IN_BITS-1:0] mb = is_os ? b_in : stat;
    // os: the first k of the fold (v_q == 0: nothing arrived last cycle) starts from zero.
    // ws/is: psum from above (zero for row 0).
    wire [PW-1:0] addend = is_os ? (v_q ? acc_q : {PW{1'b0}}) : psum_in;
    wire [PW-1:0] sum;    // what acc_q takes in a MAC

    generate
        if (MAC == 0) begin : g_plain
            wire signed [2*IN_BITS-1:0] prod = $signed(a_in) * $signed(mb);
            wire [ACC_BITS-1:0] prod_x;
            if (ACC_BITS >= 2 * IN_BITS) begin : g_sext
                assign prod_x = {{(ACC_BITS - 2 * IN_BITS){prod[2*IN_BITS-1]}}, prod};
            end else begin : g_trunc
                // Wraps modulo 2^ACC_BITS: the discarded high product bits cannot affect the result.
                assign prod_x = prod[ACC_BITS-1:0];
                // Waiver: the product bits above ACC_BITS are dropped on purpose (modular arithmetic).
                /* verilator lint_off UNUSEDSIGNAL */
                wire unused_prod_hi = ^prod[2*IN_BITS-1:ACC_BITS];
                /* verilator lint_on UNUSEDSIGNAL */
            end
            assign sum = addend + prod_x;
        end else begin : g_bw
            // The queue [R_0..R_(D-1), corr, S, Cy] (rtl/src/common/booth_rows.v, csa_rows.v),
            // reduced to the new S and Cy.
            localparam D = (IN_BITS + 1) / 2;
            wire [(D+1)*ACC_BITS-1:0] pp;
            booth_rows #(.IN_BITS(IN_BITS), .W(ACC_BITS), .KMULT(1)) u_rows (.enc(a_in), .y(mb), .rows(pp));
            wire [ACC_BITS-1:0] s_new, cy_new;
            csa_rows #(.W(ACC_BITS), .N(D + 3)) u_csa (.rows({addend[PW-1:ACC_BITS], addend[ACC_BITS-1:0], pp}),
                                                       .s_out(s_new), .c_out(cy_new));
            assign sum = {cy_new, s_new};
        end
    endgenerate

    always @(posedge clk) begin
        if (rst)
            v_q <= 1'b0;
        else if (en)
            v_q <= v_in & ~last;  // never leave a valid set past the end of a fold
        if (a_we)
            a_q <= a_in;
        if (b_we)
            b_q <= is_os ? b_in : b_in_st;
        if (acc_we)
            acc_q <= sum;
    end

    assign v_o   = v_q;
    assign a_o   = a_q;
    assign b_o   = b_q;
    assign acc_o = acc_q;
    assign mac_o = mac;
    assign res_o = is_os ? acc_q : sum;

endmodule

`default_nettype wire
