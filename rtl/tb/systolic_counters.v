// systolic_counters.v -- TESTBENCH ONLY (not synthesizable intent: hierarchical references).
//
// Wraps systolic_array and counts, cycle by cycle, the actions of docs/engines/systolic.md
// ("Actions of one fold", component pe_array) from the array's real register and datapath
// enables, so that the counts can be compared with the C++ model's. They are the events of
// SystolicCounts (models/engine/systolic.h), which systolic_actions() prices for either MAC:
//   cnt_int_mul    PEs doing a MAC (mac; MAC=1: partial products + compressor) -> macs
//   cnt_int_add    the same enable (the plain PE's adder)
//   cnt_rw_x       writes of a_q, the moving operand (MAC=1: its Booth digits) -> x_writes
//   cnt_rw_y       writes of b_q (os pipeline, ws/is stationary loads and swaps) and, WEIGHT_DB,
//                  of sh_q (shadow loads)                                       -> y_writes
//   cnt_rw_in      cnt_rw_x + cnt_rw_y (the plain in_bits register writes; tb_systolic.cpp)
//   cnt_rw_acc     writes of acc_q (accumulator / psum; MAC=1: S and Cy)
//   cnt_mux        os read-out mux reads                                        -> os_reads
//   cnt_mux_in     WEIGHT_DB: multiplier operand mux selecting the shadow       -> swaps
//   cnt_enc        valid operands entering a row at the west edge (a_q writes of column 0;
//                  MAC=1: the row's Booth encoder is used)                      -> encodes
//   cnt_cycles     cycles with busy high (fold cycles)
//   cnt_out        results leaving the array (out_valid bits; MAC=1: the column's final
//                  adder is used)                                               -> outputs
//   cnt_folds      folds accepted
// mac_kind is the MAC parameter: both PEs behave the same at every other port, so this is how
// a driver knows which one it runs.
// All counters are cumulative since reset; the testbench takes per-fold differences.
`default_nettype none

module systolic_counters #(
    parameter ROWS     = 8,
    parameter COLS     = 8,
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter T_BITS   = 16,
    parameter WEIGHT_DB = 0,
    parameter MAC      = 0,
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter XW       = (MAC != 0) ? 3 * ((IN_BITS + 1) / 2) : IN_BITS
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     fold_valid,
    output wire                     fold_ready,
    input  wire [1:0]               fold_mode,
    input  wire [RB-1:0]            fold_r,
    input  wire [CB-1:0]            fold_c,
    input  wire [T_BITS-1:0]        fold_t,
    output wire                     busy,
    output wire                     fold_last,
    input  wire [ROWS*IN_BITS-1:0]  row_in,
    input  wire [COLS*IN_BITS-1:0]  col_in,
    output wire [COLS*ACC_BITS-1:0] out_data,
    output wire [COLS-1:0]          out_valid,
    output wire [ROWS*XW-1:0]       row_out,
    output wire                     mac_kind,
    output reg  [63:0]              cnt_int_mul,
    output reg  [63:0]              cnt_int_add,
    output reg  [63:0]              cnt_rw_in,
    output reg  [63:0]              cnt_rw_x,
    output reg  [63:0]              cnt_rw_y,
    output reg  [63:0]              cnt_rw_acc,
    output reg  [63:0]              cnt_mux,
    output reg  [63:0]              cnt_mux_in,
    output reg  [63:0]              cnt_enc,
    output reg  [63:0]              cnt_cycles,
    output reg  [63:0]              cnt_out,
    output reg  [63:0]              cnt_folds
);

    systolic_array #(
        .ROWS(ROWS), .COLS(COLS), .IN_BITS(IN_BITS), .ACC_BITS(ACC_BITS), .T_BITS(T_BITS),
        .WEIGHT_DB(WEIGHT_DB), .MAC(MAC)
    ) u_arr (
        .clk(clk), .rst(rst),
        .fold_valid(fold_valid), .fold_ready(fold_ready),
        .fold_mode(fold_mode), .fold_r(fold_r), .fold_c(fold_c), .fold_t(fold_t),
        .busy(busy), .fold_last(fold_last), .row_in(row_in), .col_in(col_in),
        .out_data(out_data), .out_valid(out_valid), .row_out(row_out)
    );

    assign mac_kind = (MAC != 0);

    // Per-PE enables, picked out of the array by hierarchical reference.
    wire [ROWS*COLS-1:0] mul_v, add_v, a_we_v, b_we_v, acc_we_v, sh_we_v, swap_v;
    wire [COLS-1:0]      mux_v;
    wire [ROWS-1:0]      enc_v;
    genvar gi, gj;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                assign mul_v[gi*COLS+gj]    = u_arr.g_row[gi].g_col[gj].u_pe.mac;
                assign add_v[gi*COLS+gj]    = u_arr.g_row[gi].g_col[gj].u_pe.mac;
                assign a_we_v[gi*COLS+gj]   = u_arr.g_row[gi].g_col[gj].u_pe.a_we;
                assign b_we_v[gi*COLS+gj]   = u_arr.g_row[gi].g_col[gj].u_pe.b_we;
                assign acc_we_v[gi*COLS+gj] = u_arr.g_row[gi].g_col[gj].u_pe.acc_we;
                assign swap_v[gi*COLS+gj]   = u_arr.g_row[gi].g_col[gj].u_pe.swap;
                if (gj == 0) begin : g_w
                    assign enc_v[gi] = u_arr.g_row[gi].g_col[gj].u_pe.a_we;
                end
                if (WEIGHT_DB != 0) begin : g_db
                    assign sh_we_v[gi*COLS+gj] = u_arr.g_row[gi].g_col[gj].u_pe.g_db.sh_we;
                end else begin : g_sb
                    assign sh_we_v[gi*COLS+gj] = 1'b0;
                end
            end
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_m
            assign mux_v[gj] = u_arr.g_out[gj].os_rd;
        end
    endgenerate

    function [63:0] popcount;
        input [ROWS*COLS-1:0] v;
        integer i;
        begin
            popcount = 64'd0;
            for (i = 0; i < ROWS * COLS; i = i + 1)
                popcount = popcount + {63'd0, v[i]};
        end
    endfunction

    function [63:0] popcount_r;
        input [ROWS-1:0] v;
        integer i;
        begin
            popcount_r = 64'd0;
            for (i = 0; i < ROWS; i = i + 1)
                popcount_r = popcount_r + {63'd0, v[i]};
        end
    endfunction

    function [63:0] popcount_c;
        input [COLS-1:0] v;
        integer i;
        begin
            popcount_c = 64'd0;
            for (i = 0; i < COLS; i = i + 1)
                popcount_c = popcount_c + {63'd0, v[i]};
        end
    endfunction

    always @(posedge clk) begin
        if (rst) begin
            cnt_int_mul <= 64'd0;
            cnt_int_add <= 64'd0;
            cnt_rw_in   <= 64'd0;
            cnt_rw_x    <= 64'd0;
            cnt_rw_y    <= 64'd0;
            cnt_enc     <= 64'd0;
            cnt_rw_acc  <= 64'd0;
            cnt_mux     <= 64'd0;
            cnt_mux_in  <= 64'd0;
            cnt_cycles  <= 64'd0;
            cnt_out     <= 64'd0;
            cnt_folds   <= 64'd0;
        end else begin
            cnt_int_mul <= cnt_int_mul + popcount(mul_v);
            cnt_int_add <= cnt_int_add + popcount(add_v);
            cnt_rw_in   <= cnt_rw_in + popcount(a_we_v) + popcount(b_we_v) + popcount(sh_we_v);
            cnt_rw_x    <= cnt_rw_x + popcount(a_we_v);
            cnt_rw_y    <= cnt_rw_y + popcount(b_we_v) + popcount(sh_we_v);
            cnt_enc     <= cnt_enc + popcount_r(enc_v);
            cnt_rw_acc  <= cnt_rw_acc + popcount(acc_we_v);
            cnt_mux     <= cnt_mux + popcount_c(mux_v);
            cnt_mux_in  <= cnt_mux_in + popcount(swap_v);
            cnt_cycles  <= cnt_cycles + {63'd0, busy};
            cnt_out     <= cnt_out + popcount_c(out_valid);
            cnt_folds   <= cnt_folds + {63'd0, fold_valid & fold_ready};
        end
    end

endmodule

`default_nettype wire
