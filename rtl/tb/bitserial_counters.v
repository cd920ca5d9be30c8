// bitserial_counters.v -- TESTBENCH ONLY (hierarchical references).
//
// Wraps bitserial_array and counts, cycle by cycle, the actions of docs/engines/bitserial.md
// from the array's real enables, for comparison with the C++ model:
//   cnt_mul      lane multiplies: enabled SIPs x valid lanes of the running group
//   cnt_mac      useful MACs: the same in a group's first step only (a MAC spans its S steps)
//   cnt_tree     adder-tree uses: enabled SIPs when LANES > 1 (the host counts its adders per level)
//   cnt_shift    shifter uses: enabled SIPs when LEVELS > 0 (the host prices its mux bits)
//   cnt_acc      accumulator adds (= accumulator register writes): enabled SIPs
//   cnt_opw      operand register writes (row and column lanes latched)
//   cnt_slice    slice mux selections (P > 1): enabled rows' valid lanes, and (BOTH) columns'
//   cnt_res      result register writes
//   cnt_ro       read-out mux reads (out_valid bits)
//   cnt_cycles   cycles with a fold computing or a read-out in progress
//   cnt_hold     cycles a fold's last step holds for the read-out
// All counters are cumulative since reset; the host takes differences.
`default_nettype none

module bitserial_counters #(
    parameter ROWS     = 4,
    parameter COLS     = 4,
    parameter LANES    = 4,
    parameter BPS      = 1,
    parameter MAX_BITS = 8,
    parameter ACC_BITS = 32,
    parameter BOTH     = 0,
    parameter G_BITS   = 16,
    parameter P        = (MAX_BITS + BPS - 1) / BPS,
    parameter SW       = $clog2(P + 1),
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter LB       = $clog2(LANES + 1),
    parameter LEVELS   = $clog2((BOTH != 0) ? 2 * P - 1 : P)
) (
    input  wire                           clk,
    input  wire                           rst,
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
    output wire                           busy,
    output wire                           hold,
    output wire                           group_load,
    output wire                           ro_busy,
    output wire [COLS*ACC_BITS-1:0]       out_data,
    output wire [COLS-1:0]                out_valid,
    output wire [RB-1:0]                  out_row,
    output reg  [63:0]                    cnt_mul,
    output reg  [63:0]                    cnt_mac,
    output reg  [63:0]                    cnt_tree,
    output reg  [63:0]                    cnt_shift,
    output reg  [63:0]                    cnt_acc,
    output reg  [63:0]                    cnt_opw,
    output reg  [63:0]                    cnt_slice,
    output reg  [63:0]                    cnt_res,
    output reg  [63:0]                    cnt_ro,
    output reg  [63:0]                    cnt_cycles,
    output reg  [63:0]                    cnt_hold
);

    bitserial_array #(
        .ROWS(ROWS), .COLS(COLS), .LANES(LANES), .BPS(BPS), .MAX_BITS(MAX_BITS),
        .ACC_BITS(ACC_BITS), .BOTH(BOTH), .G_BITS(G_BITS)
    ) u_arr (
        .clk(clk), .rst(rst), .fold_valid(fold_valid), .fold_ready(fold_ready),
        .fold_r(fold_r), .fold_c(fold_c), .fold_g(fold_g), .fold_kl(fold_kl),
        .fold_sa(fold_sa), .fold_sb(fold_sb), .row_in(row_in), .col_in(col_in),
        .busy(busy), .hold(hold), .group_load(group_load), .ro_busy(ro_busy),
        .out_data(out_data), .out_valid(out_valid), .out_row(out_row)
    );

    wire [ROWS*COLS-1:0]  sip_en, res_we;
    wire [ROWS*LANES-1:0] a_we, a_sel;
    wire [COLS*LANES-1:0] b_we, b_sel;
    wire                  en   = u_arr.en;
    wire [LB-1:0]         kv   = u_arr.kv;
    wire [RB-1:0]         r_q  = u_arr.r_q;
    wire [CB-1:0]         c_q  = u_arr.c_q;
    wire                  group_start = (u_arr.ja_q == {SW{1'b0}}) & (u_arr.jb_q == {SW{1'b0}});
    genvar gi, gj, gl;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                assign sip_en[gi*COLS+gj] = u_arr.g_r[gi].g_c[gj].sip_en;
                assign res_we[gi*COLS+gj] = u_arr.g_r[gi].g_c[gj].res_we;
            end
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_l
                assign a_we[gi*LANES+gl]  = u_arr.g_row[gi].g_lane[gl].we;
                assign a_sel[gi*LANES+gl] = en & (r_q > gi) & (kv > gl);
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_cb
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_l
                assign b_we[gj*LANES+gl]  = u_arr.g_col[gj].g_lane[gl].we;
                assign b_sel[gj*LANES+gl] = (BOTH != 0) & en & (c_q > gj) & (kv > gl);
            end
        end
    endgenerate

    function [63:0] ones;
        input [ROWS*COLS+ROWS*LANES+COLS*LANES+COLS-1:0] v;
        integer i;
        begin
            ones = 64'd0;
            for (i = 0; i < ROWS*COLS+ROWS*LANES+COLS*LANES+COLS; i = i + 1)
                ones = ones + {63'd0, v[i]};
        end
    endfunction
    localparam W = ROWS*COLS+ROWS*LANES+COLS*LANES+COLS;
    function [W-1:0] pad_sip;
        input [ROWS*COLS-1:0] v;
        pad_sip = {{(W - ROWS*COLS){1'b0}}, v};
    endfunction

    wire [63:0] n_en  = ones(pad_sip(sip_en));
    wire [63:0] n_res = ones(pad_sip(res_we));
    wire [63:0] n_opw = ones({{(ROWS*COLS+COLS){1'b0}}, a_we, b_we});
    wire [63:0] n_sel = (P > 1) ? ones({{(ROWS*COLS+COLS){1'b0}}, a_sel, b_sel}) : 64'd0;
    wire [63:0] n_ro  = ones({{(ROWS*COLS+ROWS*LANES+COLS*LANES){1'b0}}, out_valid});
    wire [63:0] kv64  = {{(64 - LB){1'b0}}, kv};

    always @(posedge clk) begin
        if (rst) begin
            cnt_mul    <= 64'd0;
            cnt_mac    <= 64'd0;
            cnt_tree   <= 64'd0;
            cnt_shift  <= 64'd0;
            cnt_acc    <= 64'd0;
            cnt_opw    <= 64'd0;
            cnt_slice  <= 64'd0;
            cnt_res    <= 64'd0;
            cnt_ro     <= 64'd0;
            cnt_cycles <= 64'd0;
            cnt_hold   <= 64'd0;
        end else begin
            cnt_mul    <= cnt_mul + n_en * kv64;
            cnt_mac    <= cnt_mac + (group_start ? n_en * kv64 : 64'd0);
            cnt_tree   <= cnt_tree + (LANES > 1 ? n_en : 64'd0);
            cnt_shift  <= cnt_shift + (LEVELS > 0 ? n_en : 64'd0);
            cnt_acc    <= cnt_acc + n_en;
            cnt_opw    <= cnt_opw + n_opw;
            cnt_slice  <= cnt_slice + n_sel;
            cnt_res    <= cnt_res + n_res;
            cnt_ro     <= cnt_ro + n_ro;
            cnt_cycles <= cnt_cycles + {63'd0, busy | ro_busy};
            cnt_hold   <= cnt_hold + {63'd0, hold};
        end
    end

endmodule

`default_nettype wire
