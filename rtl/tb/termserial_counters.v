// termserial_counters.v -- TESTBENCH ONLY (hierarchical references).
//
// Wraps termserial_array and counts, cycle by cycle, the actions of docs/engines/termserial.md
// from the array's real enables, for comparison with the C++ model:
//   cnt_prod     lane products: enabled SIPs' live lanes with a term this cycle (BOTH = 0: the
//                activation lane offers one; BOTH = 1: both operand lanes do)
//   cnt_mac      useful MACs: enabled SIPs x valid lanes, in each group's first cycle only
//   cnt_tree     adder-tree uses: enabled SIPs when LANES > 1 (the host counts its adders per level)
//   cnt_acc      accumulator adds (= accumulator register writes): enabled SIPs
//   cnt_lda      row lanes loaded (encoder uses, encoded register writes)
//   cnt_ldb      column lanes loaded (BOTH = 0: weight register writes; BOTH = 1: encoder uses
//                and encoded register writes)
//   cnt_clra     row mask writes other than loads (a term dropped, or an empty mask rewritten)
//   cnt_clrb     column working-mask writes other than loads (a term dropped, or the reload);
//                BOTH = 0: none
//   cnt_picka    row terms taken: live row lanes offering a term in enabled cycles (BOTH = 1:
//                in the cycles ending an inner loop, when the row lane moves on)
//   cnt_pickb    column terms taken (BOTH = 1): live column lanes offering a term, enabled cycles
//   cnt_res      result register writes
//   cnt_ro       read-out mux reads (out_valid bits)
//   cnt_cycles   cycles with a fold computing or a read-out in progress
//   cnt_hold     cycles a fold's last cycle holds for the read-out
// All counters are cumulative since reset; the host takes differences.
`default_nettype none

module termserial_counters #(
    parameter ROWS     = 4,
    parameter COLS     = 4,
    parameter LANES    = 4,
    parameter MAX_BITS = 8,
    parameter ACC_BITS = 32,
    parameter BOTH     = 0,
    parameter BOOTH    = 0,
    parameter G_BITS   = 16,
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter LB       = $clog2(LANES + 1)
) (
    input  wire                           clk,
    input  wire                           rst,
    input  wire                           fold_valid,
    output wire                           fold_ready,
    input  wire [RB-1:0]                  fold_r,
    input  wire [CB-1:0]                  fold_c,
    input  wire [G_BITS-1:0]              fold_g,
    input  wire [LB-1:0]                  fold_kl,
    input  wire [ROWS*LANES*MAX_BITS-1:0] row_in,
    input  wire [COLS*LANES*MAX_BITS-1:0] col_in,
    output wire                           busy,
    output wire                           hold,
    output wire                           group_load,
    output wire                           ro_busy,
    output wire [COLS*ACC_BITS-1:0]       out_data,
    output wire [COLS-1:0]                out_valid,
    output wire [RB-1:0]                  out_row,
    output reg  [63:0]                    cnt_prod,
    output reg  [63:0]                    cnt_mac,
    output reg  [63:0]                    cnt_tree,
    output reg  [63:0]                    cnt_acc,
    output reg  [63:0]                    cnt_lda,
    output reg  [63:0]                    cnt_ldb,
    output reg  [63:0]                    cnt_clra,
    output reg  [63:0]                    cnt_clrb,
    output reg  [63:0]                    cnt_picka,
    output reg  [63:0]                    cnt_pickb,
    output reg  [63:0]                    cnt_res,
    output reg  [63:0]                    cnt_ro,
    output reg  [63:0]                    cnt_cycles,
    output reg  [63:0]                    cnt_hold
);

    termserial_array #(
        .ROWS(ROWS), .COLS(COLS), .LANES(LANES), .MAX_BITS(MAX_BITS), .ACC_BITS(ACC_BITS),
        .BOTH(BOTH), .BOOTH(BOOTH), .G_BITS(G_BITS)
    ) u_arr (
        .clk(clk), .rst(rst), .fold_valid(fold_valid), .fold_ready(fold_ready),
        .fold_r(fold_r), .fold_c(fold_c), .fold_g(fold_g), .fold_kl(fold_kl),
        .row_in(row_in), .col_in(col_in),
        .busy(busy), .hold(hold), .group_load(group_load), .ro_busy(ro_busy),
        .out_data(out_data), .out_valid(out_valid), .out_row(out_row)
    );

    wire [ROWS*COLS-1:0]  sip_en, res_we;
    wire [ROWS*LANES-1:0] a_we, a_drop, a_pick;
    wire [COLS*LANES-1:0] b_we, b_drop, b_pick, b_live;
    wire                  en     = u_arr.en;
    wire                  b_done = u_arr.b_done;
    wire                  gs     = u_arr.gs_q;
    genvar gi, gj, gl;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                assign sip_en[gi*COLS+gj] = u_arr.g_r[gi].g_c[gj].sip_en;
                assign res_we[gi*COLS+gj] = u_arr.g_r[gi].g_c[gj].res_we;
            end
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_l
                assign a_we[gi*LANES+gl]   = u_arr.g_row[gi].g_lane[gl].we;
                assign a_drop[gi*LANES+gl] = u_arr.g_row[gi].g_lane[gl].drop;
                assign a_pick[gi*LANES+gl] = u_arr.g_row[gi].g_lane[gl].pick;
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_cb
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_l
                assign b_we[gj*LANES+gl]   = u_arr.g_col[gj].g_lane[gl].we;
                assign b_drop[gj*LANES+gl] = u_arr.g_col[gj].g_lane[gl].drop;
                assign b_pick[gj*LANES+gl] = u_arr.g_col[gj].g_lane[gl].pick;
                assign b_live[gj*LANES+gl] = u_arr.g_col[gj].g_lane[gl].live;
            end
        end
    endgenerate

    // This cycle's increments.
    reg [63:0] n_en, n_res, n_lda, n_ldb, n_clra, n_clrb, n_pa, n_pb, n_prod, n_ro, na, nb;
    integer i, j, l;
    always @* begin
        n_en = 64'd0;
        n_res = 64'd0;
        for (i = 0; i < ROWS*COLS; i = i + 1) begin
            n_en  = n_en + {63'd0, sip_en[i]};
            n_res = n_res + {63'd0, res_we[i]};
        end
        n_lda = 64'd0;
        n_clra = 64'd0;
        n_pa = 64'd0;
        for (i = 0; i < ROWS*LANES; i = i + 1) begin
            n_lda  = n_lda + {63'd0, a_we[i]};
            n_clra = n_clra + {63'd0, a_drop[i]};
            n_pa   = n_pa + {63'd0, a_pick[i]};
        end
        n_ldb = 64'd0;
        n_clrb = 64'd0;
        n_pb = 64'd0;
        for (j = 0; j < COLS*LANES; j = j + 1) begin
            n_ldb  = n_ldb + {63'd0, b_we[j]};
            n_clrb = n_clrb + {63'd0, b_drop[j]};
            n_pb   = n_pb + {63'd0, b_pick[j]};
        end
        // Products: per lane, (row lanes with a term) x (column lanes with a term, or live).
        n_prod = 64'd0;
        for (l = 0; l < LANES; l = l + 1) begin
            na = 64'd0;
            nb = 64'd0;
            for (i = 0; i < ROWS; i = i + 1) na = na + {63'd0, a_pick[i*LANES + l]};
            for (j = 0; j < COLS; j = j + 1)
                nb = nb + {63'd0, (BOTH != 0) ? b_pick[j*LANES + l] : b_live[j*LANES + l]};
            n_prod = n_prod + na * nb;
        end
        n_ro = 64'd0;
        for (j = 0; j < COLS; j = j + 1) n_ro = n_ro + {63'd0, out_valid[j]};
    end
    wire [63:0] kv64 = {{(64 - LB){1'b0}}, u_arr.kv};

    always @(posedge clk) begin
        if (rst) begin
            cnt_prod   <= 64'd0;
            cnt_mac    <= 64'd0;
            cnt_tree   <= 64'd0;
            cnt_acc    <= 64'd0;
            cnt_lda    <= 64'd0;
            cnt_ldb    <= 64'd0;
            cnt_clra   <= 64'd0;
            cnt_clrb   <= 64'd0;
            cnt_picka  <= 64'd0;
            cnt_pickb  <= 64'd0;
            cnt_res    <= 64'd0;
            cnt_ro     <= 64'd0;
            cnt_cycles <= 64'd0;
            cnt_hold   <= 64'd0;
        end else begin
            cnt_prod   <= cnt_prod + (en ? n_prod : 64'd0);
            cnt_mac    <= cnt_mac + (gs ? n_en * kv64 : 64'd0);
            cnt_tree   <= cnt_tree + (LANES > 1 ? n_en : 64'd0);
            cnt_acc    <= cnt_acc + n_en;
            cnt_lda    <= cnt_lda + n_lda;
            cnt_ldb    <= cnt_ldb + n_ldb;
            cnt_clra   <= cnt_clra + n_clra;
            cnt_clrb   <= cnt_clrb + n_clrb;
            cnt_picka  <= cnt_picka + ((en & ((BOTH == 0) | b_done)) ? n_pa : 64'd0);
            cnt_pickb  <= cnt_pickb + (en ? n_pb : 64'd0);
            cnt_res    <= cnt_res + n_res;
            cnt_ro     <= cnt_ro + n_ro;
            cnt_cycles <= cnt_cycles + {63'd0, busy | ro_busy};
            cnt_hold   <= cnt_hold + {63'd0, hold};
        end
    end

endmodule

`default_nettype wire
