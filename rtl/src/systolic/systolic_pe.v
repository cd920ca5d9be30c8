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
            // Rows are full ACC_BITS wide with literal 0/1 where the contract fixes a bit, so that
            // synthesis folds exactly the constants the model's fa/ha/cy_bits count assumes.
            localparam D  = (IN_BITS + 1) / 2;
            localparam NQ = 3 * D + 5;                      // D + 3 input rows, then 2 per step
            wire [IN_BITS:0] ys  = {mb[IN_BITS-1], mb};      // y at IN_BITS + 1 bits
            wire [IN_BITS:0] ys1 = {mb, 1'b0};               // ys[j-1], ys[-1] = 0
            genvar gd, gb, gq, gk;
            for (gd = 0; gd < D; gd = gd + 1) begin : g_pp
                wire one = a_in[3*gd], two = a_in[3*gd+1], neg = a_in[3*gd+2];
                wire [IN_BITS:0] p = (({(IN_BITS + 1){one}} & ys) | ({(IN_BITS + 1){two}} & ys1))
                                   ^ {(IN_BITS + 1){neg}};
                // R_i: p[0..IN_BITS-1] from bit 2i, ~p[IN_BITS] above them (the sign-extension
                // trick: the missing -2^(2i+IN_BITS) is in the correction row's constant K).
                wire [ACC_BITS-1:0] row;
                for (gb = 0; gb < ACC_BITS; gb = gb + 1) begin : g_b
                    if (gb < 2 * gd || gb > 2 * gd + IN_BITS) begin : g_0
                        assign row[gb] = 1'b0;
                    end else if (gb == 2 * gd + IN_BITS) begin : g_s
                        assign row[gb] = ~p[IN_BITS];
                    end else begin : g_p
                        assign row[gb] = p[gb-2*gd];
                    end
                end
                if (2 * gd + IN_BITS >= ACC_BITS) begin : g_cut
                    wire unused_p = ^p;  // bits at 2^ACC_BITS and above wrap away
                end
            end
            // Correction row: neg_i at bit 2i, and K = -sum_i 2^(2i+IN_BITS) mod 2^ACC_BITS, whose
            // bits are: bit IN_BITS; above it every bit but IN_BITS + 2, + 4, .., + 2(D-1). The neg
            // bits lie below IN_BITS (2i <= 2D-2 < IN_BITS + 1), so the two never share a bit.
            wire [ACC_BITS-1:0] corr;
            for (gb = 0; gb < ACC_BITS; gb = gb + 1) begin : g_corr
                if (gb % 2 == 0 && gb / 2 < D) begin : g_neg
                    assign corr[gb] = g_pp[gb/2].neg;
                end else if (gb >= IN_BITS && !(gb > IN_BITS && (gb - IN_BITS) % 2 == 0 &&
                                                gb - IN_BITS < 2 * D)) begin : g_1
                    assign corr[gb] = 1'b1;
                end else begin : g_0
                    assign corr[gb] = 1'b0;
                end
            end
            // The row queue L = [R_0..R_(D-1), corr, S, Cy]; step k takes items 3k, 3k+1, 3k+2 and
            // appends its sum and carry as items D+3+2k, D+4+2k. The last two items are the new S, Cy.
            for (gq = 0; gq < NQ; gq = gq + 1) begin : g_q
                wire [ACC_BITS-1:0] r;
                if (gq < D) begin : g_r
                    assign r = g_pp[gq].row;
                end else if (gq == D) begin : g_c
                    assign r = corr;
                end else if (gq == D + 1) begin : g_sa
                    assign r = addend[ACC_BITS-1:0];
                end else if (gq == D + 2) begin : g_cya
                    assign r = addend[PW-1:ACC_BITS];
                end else if ((gq - D - 3) % 2 == 0) begin : g_sum
                    assign r = g_st[(gq-D-3)/2].s;
                end else begin : g_cy
                    assign r = g_st[(gq-D-3)/2].c;
                end
            end
            for (gk = 0; gk <= D; gk = gk + 1) begin : g_st
                wire [ACC_BITS-1:0] x = g_q[3*gk].r, y = g_q[3*gk+1].r, z = g_q[3*gk+2].r;
                wire [ACC_BITS-1:0] s = x ^ y ^ z;
                wire [ACC_BITS-1:0] c = {(x[ACC_BITS-2:0] & y[ACC_BITS-2:0]) | (x[ACC_BITS-2:0] & z[ACC_BITS-2:0]) |
                                         (y[ACC_BITS-2:0] & z[ACC_BITS-2:0]), 1'b0};  // maj << 1
            end
            assign sum = {g_q[NQ-1].r, g_q[NQ-2].r};  // {Cy, S}
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
