// lut_counters.v -- TESTBENCH ONLY (hierarchical references).
//
// Wraps lut_array and counts, cycle by cycle, the events of docs/engines/lut.md (models/engine/
// lut.h LutCounts) from the array's real enables, for comparison with the C++ model:
//   cnt_tab     tables built: rows whose table register loads a built table
//   cnt_tst     tables written into the table store
//   cnt_tld     tables loaded from the table store
//   cnt_wld     weights loaded: columns whose weight register loads, times K
//   cnt_unit    lookups: enabled units
//   cnt_col     column plane decodes: enabled cycles x used columns
//   cnt_off     row offset adds
//   cnt_mac     useful MACs: enabled units x K in a group's plane 0 (a MAC spans its planes)
//   cnt_ores    row offsets copied into their result registers
//   cnt_ro      results read out (out_valid bits)
//   cnt_cycles  cycles with a fold computing or a read-out in progress
//   cnt_hold    cycles a fold's last plane holds for the read-out
// All counters are cumulative since reset; the host takes differences.
`default_nettype none

module lut_counters #(
    parameter ROWS   = 2,
    parameter COLS   = 4,
    parameter K      = 4,
    parameter SYM    = 1,
    parameter WB     = 4,
    parameter FP     = 0,
    parameter OB     = 32,
    parameter ET     = 5,
    parameter FT     = 10,
    parameter EA     = 5,
    parameter FA     = 10,
    parameter G_BITS = 16,
    parameter TS     = 0,
    parameter PRE    = 1,
    parameter ABITS  = (FP != 0) ? 16 : 8,
    // lut_array's row bus: K activations, or (PRE = 0) a table word of PW bits
    parameter SB     = (SYM != 0) ? K - 1 : K,
    parameter E      = 1 << SB,
    parameter TB     = (FP != 0) ? 1 + ET + FT : 8 + $clog2(K + 1),
    parameter PW     = (FP == 0) ? E*(TB-1) + 1 : ((SYM != 0) ? E*TB : (E/2)*TB + E/2),
    parameter RIW    = (PRE != 0) ? K*ABITS : PW,
    parameter RESB   = (FP != 0) ? 1 + EA + FA : OB,
    parameter PB     = $clog2(WB + 1),
    parameter RB     = $clog2(ROWS + 1),
    parameter CB     = $clog2(COLS + 1)
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    fold_valid,
    output wire                    fold_ready,
    input  wire [RB-1:0]           fold_r,
    input  wire [CB-1:0]           fold_c,
    input  wire [G_BITS-1:0]       fold_g,
    input  wire [PB-1:0]           fold_w,
    input  wire                    fold_store,
    input  wire                    fold_reuse,
    input  wire [ROWS*RIW-1:0]     row_in,
    input  wire [COLS*K*WB-1:0]    col_in,
    output wire                    busy,
    output wire                    hold,
    output wire                    group_load,
    output wire                    ro_busy,
    output wire [COLS*RESB-1:0]    out_data,
    output wire [COLS-1:0]         out_valid,
    output wire [RB-1:0]           out_row,
    output reg  [63:0]             cnt_tab,
    output reg  [63:0]             cnt_tst,
    output reg  [63:0]             cnt_tld,
    output reg  [63:0]             cnt_wld,
    output reg  [63:0]             cnt_unit,
    output reg  [63:0]             cnt_col,
    output reg  [63:0]             cnt_off,
    output reg  [63:0]             cnt_mac,
    output reg  [63:0]             cnt_ores,
    output reg  [63:0]             cnt_ro,
    output reg  [63:0]             cnt_cycles,
    output reg  [63:0]             cnt_hold
);

    lut_array #(
        .ROWS(ROWS), .COLS(COLS), .K(K), .SYM(SYM), .WB(WB), .FP(FP), .OB(OB),
        .ET(ET), .FT(FT), .EA(EA), .FA(FA), .G_BITS(G_BITS), .TS(TS), .PRE(PRE)
    ) u_arr (
        .clk(clk), .rst(rst), .fold_valid(fold_valid), .fold_ready(fold_ready),
        .fold_r(fold_r), .fold_c(fold_c), .fold_g(fold_g), .fold_w(fold_w),
        .fold_store(fold_store), .fold_reuse(fold_reuse),
        .row_in(row_in), .col_in(col_in),
        .busy(busy), .hold(hold), .group_load(group_load), .ro_busy(ro_busy),
        .out_data(out_data), .out_valid(out_valid), .out_row(out_row)
    );

    localparam N = ROWS * COLS + 2 * ROWS + 2 * COLS;  // the widest vector counted
    wire [ROWS*COLS-1:0] unit_en;
    wire [ROWS-1:0]      tab_we, tst_we, tld_we, off_we, ores_we;
    wire [COLS-1:0]      w_we, col_on;
    genvar gi, gj;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            assign tab_we[gi]  = u_arr.g_row[gi].built_we;
            assign tst_we[gi]  = u_arr.g_row[gi].store_we;
            assign tld_we[gi]  = u_arr.g_row[gi].reuse_we;
            assign off_we[gi]  = u_arr.g_r[gi].off_we;
            assign ores_we[gi] = u_arr.g_r[gi].ores_we;
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                assign unit_en[gi*COLS + gj] = u_arr.g_r[gi].g_c[gj].unit_en;
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_cl
            assign w_we[gj]   = u_arr.g_col[gj].we;
            assign col_on[gj] = u_arr.en & (u_arr.c_q > gj);
        end
    endgenerate

    function [63:0] ones;
        input [N-1:0] v;
        integer i;
        begin
            ones = 64'd0;
            for (i = 0; i < N; i = i + 1)
                ones = ones + {63'd0, v[i]};
        end
    endfunction
    function [N-1:0] pad;
        input [ROWS*COLS-1:0] v;
        pad = {{(N - ROWS*COLS){1'b0}}, v};
    endfunction

    wire [31:0] k32 = K;
    wire [63:0] K64 = {32'd0, k32};
    wire [63:0] n_unit = ones(pad(unit_en));
    wire [63:0] n_tab  = ones({{(N - ROWS){1'b0}}, tab_we});
    wire [63:0] n_tst  = ones({{(N - ROWS){1'b0}}, tst_we});
    wire [63:0] n_tld  = ones({{(N - ROWS){1'b0}}, tld_we});
    wire [63:0] n_off  = ones({{(N - ROWS){1'b0}}, off_we});
    wire [63:0] n_ores = ones({{(N - ROWS){1'b0}}, ores_we});
    wire [63:0] n_w    = ones({{(N - COLS){1'b0}}, w_we});
    wire [63:0] n_col  = ones({{(N - COLS){1'b0}}, col_on});
    wire [63:0] n_ro   = ones({{(N - COLS){1'b0}}, out_valid});

    always @(posedge clk) begin
        if (rst) begin
            cnt_tab    <= 64'd0;
            cnt_tst    <= 64'd0;
            cnt_tld    <= 64'd0;
            cnt_wld    <= 64'd0;
            cnt_unit   <= 64'd0;
            cnt_col    <= 64'd0;
            cnt_off    <= 64'd0;
            cnt_mac    <= 64'd0;
            cnt_ores   <= 64'd0;
            cnt_ro     <= 64'd0;
            cnt_cycles <= 64'd0;
            cnt_hold   <= 64'd0;
        end else begin
            cnt_tab    <= cnt_tab + n_tab;
            cnt_tst    <= cnt_tst + n_tst;
            cnt_tld    <= cnt_tld + n_tld;
            cnt_wld    <= cnt_wld + n_w * K64;
            cnt_unit   <= cnt_unit + n_unit;
            cnt_col    <= cnt_col + n_col;
            cnt_off    <= cnt_off + n_off;
            cnt_mac    <= cnt_mac + (u_arr.plane0 ? n_unit * K64 : 64'd0);
            cnt_ores   <= cnt_ores + n_ores;
            cnt_ro     <= cnt_ro + n_ro;
            cnt_cycles <= cnt_cycles + {63'd0, busy | ro_busy};
            cnt_hold   <= cnt_hold + {63'd0, hold};
        end
    end

endmodule

`default_nettype wire
