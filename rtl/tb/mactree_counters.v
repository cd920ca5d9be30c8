// mactree_counters.v -- TESTBENCH ONLY (hierarchical references).
//
// Wraps mactree and counts, cycle by cycle, the events of docs/engines/mactree.md from the
// engine's real enables, for comparison with the C++ model (MactreeCounts):
//   cnt_results   result register writes (used lanes x compute cycles)
//   cnt_products  products of used inputs in those results: result writes x live inputs (the
//                 inputs whose activations are not gated to zero)
//   cnt_act       activation register element writes (MAC = 1: encoded)
//   cnt_weight    weight register writes
//   cnt_cycles    cycles with a fold in progress (busy)
// The accumulator (later k folds' sums) is outside the engine; the host counts its adds.
// All counters are cumulative since reset; the host takes differences.
`default_nettype none

module mactree_counters #(
    parameter LANES    = 16,
    parameter WIDTH    = 16,
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter MAC      = 0,
    parameter M_BITS   = 16,
    parameter KB       = $clog2(WIDTH + 1),
    parameter LB       = $clog2(LANES + 1)
) (
    input  wire                      clk,
    input  wire                      rst,
    input  wire                      fold_valid,
    output wire                      fold_ready,
    input  wire [KB-1:0]             fold_k,
    input  wire [LB-1:0]             fold_l,
    input  wire [M_BITS-1:0]         fold_m,
    input  wire [WIDTH*IN_BITS-1:0]  a_in,
    input  wire [LANES*IN_BITS-1:0]  w_in,
    output wire                      busy,
    output wire                      fold_last,
    output wire [LANES*ACC_BITS-1:0] out_data,
    output wire                      out_valid,
    output wire                      mac_kind,   // MAC != 0: the host checks it got the model it asked for
    output reg  [63:0]               cnt_results,
    output reg  [63:0]               cnt_products,
    output reg  [63:0]               cnt_act,
    output reg  [63:0]               cnt_weight,
    output reg  [63:0]               cnt_cycles
);

    mactree #(
        .LANES(LANES), .WIDTH(WIDTH), .IN_BITS(IN_BITS), .ACC_BITS(ACC_BITS), .MAC(MAC), .M_BITS(M_BITS)
    ) u_mt (
        .clk(clk), .rst(rst), .fold_valid(fold_valid), .fold_ready(fold_ready),
        .fold_k(fold_k), .fold_l(fold_l), .fold_m(fold_m), .a_in(a_in), .w_in(w_in),
        .busy(busy), .fold_last(fold_last), .out_data(out_data), .out_valid(out_valid)
    );
    assign mac_kind = (MAC != 0);

    wire [LANES-1:0]       res_we  = u_mt.res_we;
    wire [LANES*WIDTH-1:0] w_we    = u_mt.w_we;
    wire [WIDTH-1:0]       x_we    = u_mt.x_we;
    wire [WIDTH-1:0]       in_used = u_mt.in_used;

    // This cycle's increments.
    reg [63:0] n_res, n_used, n_act, n_w;
    integer i;
    always @* begin
        n_res = 64'd0;
        for (i = 0; i < LANES; i = i + 1) n_res = n_res + {63'd0, res_we[i]};
        n_used = 64'd0;
        n_act = 64'd0;
        for (i = 0; i < WIDTH; i = i + 1) begin
            n_used = n_used + {63'd0, in_used[i]};
            n_act  = n_act + {63'd0, x_we[i]};
        end
        n_w = 64'd0;
        for (i = 0; i < LANES*WIDTH; i = i + 1) n_w = n_w + {63'd0, w_we[i]};
    end

    always @(posedge clk) begin
        if (rst) begin
            cnt_results  <= 64'd0;
            cnt_products <= 64'd0;
            cnt_act      <= 64'd0;
            cnt_weight   <= 64'd0;
            cnt_cycles   <= 64'd0;
        end else begin
            cnt_results  <= cnt_results + n_res;
            cnt_products <= cnt_products + n_res * n_used;
            cnt_act      <= cnt_act + n_act;
            cnt_weight   <= cnt_weight + n_w;
            cnt_cycles   <= cnt_cycles + {63'd0, busy};
        end
    end

endmodule

`default_nettype wire
