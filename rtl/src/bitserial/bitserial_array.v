// bitserial_array.v -- ROWS x COLS bit-serial inner-product units (SIPs), output stationary.
//
// Implements the timing and action contract of docs/engines/bitserial.md exactly.
// A fold command (fold_r rows, fold_c columns, fold_g groups of LANES k elements, fold_kl valid
// lanes in the last group, fold_sa activation steps, fold_sb weight steps: 1 unless BOTH) is
// accepted on a rising edge where fold_valid & fold_ready; the same edge latches the fold's
// group 0 operands from row_in / col_in. fold_ready is high when no fold computes, and in the
// cycle a fold computes its last step, so folds run back to back. In each compute cycle every
// used SIP takes one serial step (activation slice ja = 0..sa-1 inner, weight slice jb outer,
// groups outermost); group g+1's operands are latched at the edge ending group g's last step
// (group_load high in that cycle: the feeder drives them then). The fold's last step copies
// the accumulators into the result registers, which are read out one row per cycle on
// out_data / out_valid / out_row while the next fold computes; the last step holds (hold high,
// no SIP enabled) while the previous read-out has more than its current row left.
// Operand buses: row i lane l at [(i*LANES + l)*MAX_BITS +: MAX_BITS], column j lane l at
// [(j*LANES + l)*MAX_BITS +: MAX_BITS], two's complement, sign-extended to MAX_BITS.
// Preconditions: 1 <= fold_r <= ROWS, 1 <= fold_c <= COLS, 1 <= fold_g < 2^G_BITS,
// 1 <= fold_kl <= LANES, 1 <= fold_sa <= P, 1 <= fold_sb <= P (1 unless BOTH).
`default_nettype none

module bitserial_array #(
    parameter ROWS     = 4,
    parameter COLS     = 4,
    parameter LANES    = 4,
    parameter BPS      = 1,
    parameter MAX_BITS = 8,
    parameter ACC_BITS = 32,
    parameter BOTH     = 0,    // 1: weights serial too
    parameter G_BITS   = 16,
    // derived, do not override
    parameter P        = (MAX_BITS + BPS - 1) / BPS,        // steps of a MAX_BITS operand
    parameter SW       = $clog2(P + 1),                     // holds 1 .. P
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter LB       = $clog2(LANES + 1),
    parameter NPOS     = (BOTH != 0) ? 2 * P - 1 : P,              // shift positions
    parameter LEVELS   = $clog2(NPOS),
    parameter JW       = LEVELS > 0 ? LEVELS : 1,
    parameter MAG      = (BPS == 1) ? 1 : 0,                 // one-bit lanes (bitserial_sip.v)
    parameter SB       = (MAG != 0) ? 1 : BPS + 1,
    parameter WB       = (BOTH != 0) ? SB : MAX_BITS
) (
    input  wire                           clk,
    input  wire                           rst,          // synchronous, active high
    input  wire                           fold_valid,
    output wire                           fold_ready,
    input  wire [RB-1:0]                  fold_r,
    input  wire [CB-1:0]                  fold_c,
    input  wire [G_BITS-1:0]              fold_g,
    input  wire [LB-1:0]                  fold_kl,
    input  wire [SW-1:0]                  fold_sa,
    input  wire [SW-1:0]                  fold_sb,
    input  wire [ROWS*LANES*MAX_BITS-1:0] row_in,
    input  wire [COLS*LANES*MAX_BITS-1:0] col_in,
    output wire                           busy,         // a fold computes (or holds)
    output wire                           hold,         // its last step waits for the read-out
    output wire                           group_load,   // the next group's operands latch at this edge
    output wire                           ro_busy,      // a read-out is in progress
    output wire [COLS*ACC_BITS-1:0]       out_data,
    output wire [COLS-1:0]                out_valid,
    output wire [RB-1:0]                  out_row
);

    // ------------------------------------------------------------------ fold controller
    reg              busy_q;
    reg [RB-1:0]     r_q;
    reg [CB-1:0]     c_q;
    reg [G_BITS-1:0] g_q, grp_q;
    reg [LB-1:0]     kl_q;
    reg [SW-1:0]     sa_q, sb_q, ja_q, jb_q;
    reg              ro_q;
    reg [RB-1:0]     ro_row_q, ro_r_q;
    reg [CB-1:0]     ro_c_q;

    wire a_last    = (ja_q == sa_q - 1'b1);
    wire b_last    = (jb_q == sb_q - 1'b1);
    wire grp_last  = (grp_q == g_q - 1'b1);
    wire step_last = a_last & b_last;              // the group's last step
    wire fold_end  = busy_q & step_last & grp_last;
    wire ro_more   = ro_q & (ro_row_q + 1'b1 < ro_r_q);  // more than this cycle's row left
    assign hold    = fold_end & ro_more;
    wire en        = busy_q & ~hold;
    wire done      = en & step_last & grp_last;    // the copy into the result registers
    assign fold_ready = ~busy_q | done;
    wire accept    = fold_valid & fold_ready;
    assign group_load = en & step_last & ~grp_last;
    wire first     = (grp_q == {G_BITS{1'b0}}) & (ja_q == {SW{1'b0}}) & (jb_q == {SW{1'b0}});
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
                sa_q   <= fold_sa;
                sb_q   <= fold_sb;
                grp_q  <= {G_BITS{1'b0}};
                ja_q   <= {SW{1'b0}};
                jb_q   <= {SW{1'b0}};
            end else if (done) begin
                busy_q <= 1'b0;
            end else if (en) begin
                if (!a_last) begin
                    ja_q <= ja_q + 1'b1;
                end else begin
                    ja_q <= {SW{1'b0}};
                    if (!b_last) begin
                        jb_q <= jb_q + 1'b1;
                    end else begin
                        jb_q  <= {SW{1'b0}};
                        grp_q <= grp_q + 1'b1;
                    end
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

    // ------------------------------------------------------------------ operand registers
    localparam EXT = P * BPS;   // a register sign-extended to whole slices
    wire [LANES*SB-1:0] a_sl [0:ROWS-1];
    wire [LANES*WB-1:0] b_op [0:COLS-1];
    genvar gi, gj, gl;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_row
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                reg  [MAX_BITS-1:0] a_q;
                wire we = load & (ld_r > gi) & (ld_kv > gl);
                always @(posedge clk) begin
                    if (we) a_q <= row_in[(gi*LANES + gl)*MAX_BITS +: MAX_BITS];
                end
                wire [EXT-1:0] ax;
                if (EXT > MAX_BITS) begin : g_sx
                    assign ax = {{(EXT - MAX_BITS){a_q[MAX_BITS-1]}}, a_q};
                end else begin : g_nx
                    assign ax = a_q;
                end
                // The slice mux (P:1, BPS bits), the sign of the top slice, the lane gate. One bit
                // per step (MAG): the bit alone, its sign is the SIPs' neg.
                reg [BPS-1:0] f;
                integer p;
                always @* begin
                    f = ax[BPS-1:0];
                    for (p = 1; p < P; p = p + 1)
                        if (ja_q == p[SW-1:0]) f = ax[p*BPS +: BPS];
                end
                wire lane_on = (kv > gl);
                if (MAG != 0) begin : g_mag
                    assign a_sl[gi][gl*SB +: SB] = lane_on & f[0];
                end else begin : g_sgn
                    assign a_sl[gi][gl*SB +: SB] = lane_on ? {a_last & f[BPS-1], f} : {SB{1'b0}};
                end
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_col
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                reg  [MAX_BITS-1:0] b_q;
                wire we = load & (ld_c > gj) & (ld_kv > gl);
                always @(posedge clk) begin
                    if (we) b_q <= col_in[(gj*LANES + gl)*MAX_BITS +: MAX_BITS];
                end
                if (BOTH != 0) begin : g_serial
                    wire [EXT-1:0] bx;
                    if (EXT > MAX_BITS) begin : g_sx
                        assign bx = {{(EXT - MAX_BITS){b_q[MAX_BITS-1]}}, b_q};
                    end else begin : g_nx
                        assign bx = b_q;
                    end
                    reg [BPS-1:0] f;
                    integer p;
                    always @* begin
                        f = bx[BPS-1:0];
                        for (p = 1; p < P; p = p + 1)
                            if (jb_q == p[SW-1:0]) f = bx[p*BPS +: BPS];
                    end
                    if (MAG != 0) begin : g_mag
                        assign b_op[gj][gl*WB +: WB] = f[0];
                    end else begin : g_sgn
                        assign b_op[gj][gl*WB +: WB] = {b_last & f[BPS-1], f};
                    end
                end else begin : g_parallel
                    assign b_op[gj][gl*WB +: WB] = b_q;
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------ SIP grid
    wire [SW:0] jsum_full = {1'b0, ja_q} + {1'b0, jb_q};
    wire [JW-1:0] jsum;
    generate
        if (SW + 1 >= JW) begin : g_js
            assign jsum = jsum_full[JW-1:0];
        end else begin : g_jz
            assign jsum = {{(JW - SW - 1){1'b0}}, jsum_full};
        end
    endgenerate
    /* verilator lint_off UNUSED */
    wire [SW:0] unused_jsum_hi = jsum_full;  // bits above JW are zero: ja + jb < NPOS
    /* verilator lint_on UNUSED */

    // One bit per step: a slice is -(its bit) in its operand's sign step, so the SIPs subtract
    // when exactly one operand is in its sign step.
    wire neg = (MAG != 0) & (a_last ^ ((BOTH != 0) & b_last));

    wire [ACC_BITS-1:0] res_w [0:ROWS*COLS-1];
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                wire sip_en = en & (r_q > gi) & (c_q > gj);
                wire [ACC_BITS-1:0] acc_d;
                bitserial_sip #(
                    .LANES(LANES), .BPS(BPS), .MAG(MAG), .UNS((MAG != 0 && BOTH != 0) ? 1 : 0),
                    .SB(SB), .WB(WB), .ACC_BITS(ACC_BITS),
                    .LEVELS(LEVELS), .JW(JW)
                ) u_sip (
                    .clk(clk), .en(sip_en), .first(first),
                    .a_sl(a_sl[gi]), .b_op(b_op[gj]), .neg(neg), .jsum(jsum), .acc_d(acc_d)
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
