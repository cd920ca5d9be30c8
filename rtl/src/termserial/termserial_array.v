// termserial_array.v -- ROWS x COLS term-serial inner-product units (SIPs), output stationary.
//
// Implements the timing and action contract of docs/engines/termserial.md exactly.
// A fold command (fold_r rows, fold_c columns, fold_g groups of LANES k elements, fold_kl valid
// lanes in the last group) is accepted on a rising edge where fold_valid & fold_ready; the same
// edge latches (and encodes) the fold's group 0 operands from row_in / col_in. fold_ready is high
// when no fold computes, and in the cycle a fold computes its last cycle, so folds run back to
// back. Fold, read-out, hold and group-load timing are bitserial_array's; what differs is a
// group's length, which the data decides: every cycle each live encoded lane offers its lowest
// remaining term (a one-hot and a sign), and
//   BOTH = 0: the group ends in the cycle where every live row lane has at most one term left
//             (a_done); before that, every cycle's edge drops each live row lane's lowest term.
//   BOTH = 1: the inner loop over the weights' terms ends when every live column lane's working
//             mask has at most one term left (b_done); the group ends when a_done & b_done.
//             At any other edge: after an inner loop's end, the live row lanes drop a term and
//             the live column lanes reload their working masks; within one, the live column
//             lanes drop a term from their working masks.
// Live lanes: row lane (i, l) when i < fold_r and l < kv, column lane (j, l) when j < fold_c and
// l < kv (kv: the running group's valid lanes). Other lanes take no part in the end condition
// and offer no term. group_load is high in the cycle whose edge latches the next group's
// operands (the feeder drives them then). The fold's last cycle copies the accumulators into
// the result registers, which are read out one row per cycle on out_data / out_valid / out_row
// while the next fold computes; the last cycle holds (hold high, no SIP enabled) while the
// previous read-out has more than its current row left.
// Operand buses: row i lane l at [(i*LANES + l)*MAX_BITS +: MAX_BITS], column j lane l at
// [(j*LANES + l)*MAX_BITS +: MAX_BITS], two's complement, sign-extended to MAX_BITS.
// Preconditions: 1 <= fold_r <= ROWS, 1 <= fold_c <= COLS, 1 <= fold_g < 2^G_BITS,
// 1 <= fold_kl <= LANES.
`default_nettype none

module termserial_array #(
    parameter ROWS     = 4,
    parameter COLS     = 4,
    parameter LANES    = 4,
    parameter MAX_BITS = 8,
    parameter ACC_BITS = 32,
    parameter BOTH     = 0,    // 1: weights term-serial too
    parameter BOOTH    = 0,    // 1: Booth (non-adjacent form) terms; 0: plain (sign-magnitude)
    parameter G_BITS   = 16,
    // derived, do not override
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter LB       = $clog2(LANES + 1),
    parameter SGN      = (BOOTH != 0) ? MAX_BITS : 1       // sign bits of an encoded register
) (
    input  wire                           clk,
    input  wire                           rst,          // synchronous, active high
    input  wire                           fold_valid,
    output wire                           fold_ready,
    input  wire [RB-1:0]                  fold_r,
    input  wire [CB-1:0]                  fold_c,
    input  wire [G_BITS-1:0]              fold_g,
    input  wire [LB-1:0]                  fold_kl,
    input  wire [ROWS*LANES*MAX_BITS-1:0] row_in,
    input  wire [COLS*LANES*MAX_BITS-1:0] col_in,
    output wire                           busy,         // a fold computes (or holds)
    output wire                           hold,         // its last cycle waits for the read-out
    output wire                           group_load,   // the next group's operands latch at this edge
    output wire                           ro_busy,      // a read-out is in progress
    output wire [COLS*ACC_BITS-1:0]       out_data,
    output wire [COLS-1:0]                out_valid,
    output wire [RB-1:0]                  out_row
);

    localparam MB = MAX_BITS;

    // ------------------------------------------------------------------ fold controller
    reg              busy_q;
    reg [RB-1:0]     r_q;
    reg [CB-1:0]     c_q;
    reg [G_BITS-1:0] g_q, grp_q;
    reg [LB-1:0]     kl_q;
    reg              gs_q;         // the running group's first cycle
    reg              ro_q;
    reg [RB-1:0]     ro_row_q, ro_r_q;
    reg [CB-1:0]     ro_c_q;

    wire [ROWS*LANES-1:0] a_ok;    // per row lane: not live, or at most one term left
    wire [COLS*LANES-1:0] b_ok;    // per column lane: the same of its working mask (BOTH)
    wire a_done    = &a_ok;
    wire b_done    = &b_ok;
    wire group_end = a_done & b_done;              // the group's last cycle
    wire grp_last  = (grp_q == g_q - 1'b1);
    wire fold_end  = busy_q & group_end & grp_last;
    wire ro_more   = ro_q & (ro_row_q + 1'b1 < ro_r_q);  // more than this cycle's row left
    assign hold    = fold_end & ro_more;
    wire en        = busy_q & ~hold;
    wire done      = en & group_end & grp_last;    // the copy into the result registers
    assign fold_ready = ~busy_q | done;
    wire accept    = fold_valid & fold_ready;
    assign group_load = en & group_end & ~grp_last;
    wire step      = en & ~group_end;              // the masks move on within the group
    wire first     = gs_q & (grp_q == {G_BITS{1'b0}});
    assign busy    = busy_q;
    assign ro_busy = ro_q;

    always @(posedge clk) begin
        if (rst) begin
            busy_q <= 1'b0;
            ro_q   <= 1'b0;
        end else begin
            if (accept) begin
                busy_q <= 1'b1;
                r_q    <= fold_r;
                c_q    <= fold_c;
                g_q    <= fold_g;
                kl_q   <= fold_kl;
                grp_q  <= {G_BITS{1'b0}};
                gs_q   <= 1'b1;
            end else if (done) begin
                busy_q <= 1'b0;
            end else if (en) begin
                if (group_end) begin
                    grp_q <= grp_q + 1'b1;
                    gs_q  <= 1'b1;
                end else begin
                    gs_q  <= 1'b0;
                end
            end
            if (done) begin
                ro_q     <= 1'b1;
                ro_row_q <= {RB{1'b0}};
                ro_r_q   <= r_q;
                ro_c_q   <= c_q;
            end else if (ro_q) begin
                ro_row_q <= ro_row_q + 1'b1;
                if (ro_row_q + 1'b1 == ro_r_q) ro_q <= 1'b0;
            end
        end
    end

    // Operand loads: the accepted fold's group 0, or the running fold's next group.
    wire [G_BITS-1:0] nxt_grp  = grp_q + 1'b1;
    wire [LB-1:0]     full     = LANES[LB-1:0];
    wire [LB-1:0]     ld_kv    = accept ? ((fold_g == {{(G_BITS - 1){1'b0}}, 1'b1}) ? fold_kl : full)
                                        : ((nxt_grp == g_q - 1'b1) ? kl_q : full);
    wire [RB-1:0]     ld_r     = accept ? fold_r : r_q;
    wire [CB-1:0]     ld_c     = accept ? fold_c : c_q;
    wire              load     = accept | group_load;
    wire [LB-1:0]     kv       = grp_last ? kl_q : full;   // valid lanes of the running group

    // ------------------------------------------------------------------ encoded operand registers
    // Per lane: `we` (a load), `drop` (a write other than a load), `pick` (a term offered).
    wire [LANES*MB-1:0] a_oh [0:ROWS-1];
    wire [LANES-1:0]    a_sg [0:ROWS-1];
    wire [LANES*MB-1:0] b_op [0:COLS-1];
    wire [LANES-1:0]    b_sg [0:COLS-1];
    genvar gi, gj, gl;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_row
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                wire live = (r_q > gi) & (kv > gl);
                wire we   = load & (ld_r > gi) & (ld_kv > gl);
                wire [MB-1:0]  enc_m;
                wire [SGN-1:0] enc_s;
                termserial_enc #(.MB(MB), .BOOTH(BOOTH)) u_enc (
                    .v(row_in[(gi*LANES + gl)*MB +: MB]), .mask(enc_m), .sgn(enc_s)
                );
                reg  [MB-1:0]  m_q;      // the term mask
                reg  [SGN-1:0] s_q;      // the signs
                // The picker: the lowest term as a one-hot, and the mask without it.
                wire [MB-1:0] m_dec  = m_q - 1'b1;
                wire [MB-1:0] m_rest = m_q & m_dec;
                wire [MB-1:0] oh     = live ? (m_q & ~m_dec) : {MB{1'b0}};
                /* verilator lint_off UNUSED */
                wire pick = |oh;                   // a term offered (counted by rtl/tb)
                /* verilator lint_on UNUSED */
                wire drop = live & step & b_done;  // BOTH = 0: b_done is always high
                always @(posedge clk) begin
                    if (we) begin
                        m_q <= enc_m;
                        s_q <= enc_s;
                    end else if (drop) begin
                        m_q <= m_rest;
                    end
                end
                if (BOOTH != 0) begin : g_sb
                    assign a_sg[gi][gl] = |(oh & s_q);
                end else begin : g_sp
                    assign a_sg[gi][gl] = s_q[0];
                end
                assign a_oh[gi][gl*MB +: MB] = oh;
                assign a_ok[gi*LANES + gl]   = ~live | (m_rest == {MB{1'b0}});
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_col
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                wire live = (c_q > gj) & (kv > gl);
                wire we   = load & (ld_c > gj) & (ld_kv > gl);
                /* verilator lint_off UNUSED */
                wire pick, drop;                   // counted by rtl/tb
                /* verilator lint_on UNUSED */
                if (BOTH != 0) begin : g_serial
                    wire [MB-1:0]  enc_m;
                    wire [SGN-1:0] enc_s;
                    termserial_enc #(.MB(MB), .BOOTH(BOOTH)) u_enc (
                        .v(col_in[(gj*LANES + gl)*MB +: MB]), .mask(enc_m), .sgn(enc_s)
                    );
                    reg  [MB-1:0]  t0_q;     // the term mask
                    reg  [SGN-1:0] s_q;      // the signs
                    reg  [MB-1:0]  tw_q;     // the working mask, consumed by the inner loop
                    wire [MB-1:0] w_dec  = tw_q - 1'b1;
                    wire [MB-1:0] w_rest = tw_q & w_dec;
                    wire [MB-1:0] oh     = live ? (tw_q & ~w_dec) : {MB{1'b0}};
                    assign pick = |oh;
                    assign drop = live & step;   // a term dropped, or (b_done) the reload
                    always @(posedge clk) begin
                        if (we) begin
                            t0_q <= enc_m;
                            s_q  <= enc_s;
                            tw_q <= enc_m;
                        end else if (drop) begin
                            tw_q <= b_done ? t0_q : w_rest;
                        end
                    end
                    if (BOOTH != 0) begin : g_sb
                        assign b_sg[gj][gl] = |(oh & s_q);
                    end else begin : g_sp
                        assign b_sg[gj][gl] = s_q[0];
                    end
                    assign b_op[gj][gl*MB +: MB] = oh;
                    assign b_ok[gj*LANES + gl]   = ~live | (w_rest == {MB{1'b0}});
                end else begin : g_parallel
                    reg [MB-1:0] b_q;        // the weight as is
                    always @(posedge clk) begin
                        if (we) b_q <= col_in[(gj*LANES + gl)*MB +: MB];
                    end
                    assign pick = 1'b0;
                    assign drop = 1'b0;
                    assign b_sg[gj][gl] = 1'b0;
                    assign b_op[gj][gl*MB +: MB] = b_q;
                    assign b_ok[gj*LANES + gl]   = 1'b1;
                    wire unused_live = live;     // a parallel weight offers no term
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------ SIP grid
    wire [ACC_BITS-1:0] res_w [0:ROWS*COLS-1];
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                wire sip_en = en & (r_q > gi) & (c_q > gj);
                wire [ACC_BITS-1:0] acc_d;
                termserial_sip #(
                    .LANES(LANES), .MB(MB), .ACC_BITS(ACC_BITS), .BOTH(BOTH)
                ) u_sip (
                    .clk(clk), .en(sip_en), .first(first),
                    .a_oh(a_oh[gi]), .a_sg(a_sg[gi]), .b_op(b_op[gj]), .b_sg(b_sg[gj]), .acc_d(acc_d)
                );
                reg [ACC_BITS-1:0] res_q;
                wire res_we = done & (r_q > gi) & (c_q > gj);
                always @(posedge clk) begin
                    if (res_we) res_q <= acc_d;
                end
                assign res_w[gi*COLS + gj] = res_q;
            end
        end

        // Read-out: one ROWS:1 mux per column.
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_out
            reg [ACC_BITS-1:0] d;
            integer k;
            always @* begin
                d = res_w[gj];
                for (k = 1; k < ROWS; k = k + 1)
                    if (ro_row_q == k[RB-1:0]) d = res_w[k*COLS + gj];
            end
            assign out_data[gj*ACC_BITS +: ACC_BITS] = d;
            assign out_valid[gj] = ro_q & (ro_c_q > gj);
        end
    endgenerate
    assign out_row = ro_row_q;

endmodule

`default_nettype wire
