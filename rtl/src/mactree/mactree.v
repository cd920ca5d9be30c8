// mactree.v -- LANES multiplier-adder tree lanes of WIDTH inputs, weights stationary in the lanes,
// one activation vector broadcast to all lanes per cycle (docs/engines/mactree.md).
//
// A fold command (fold_k used inputs, fold_l used lanes, fold_m rows M) is accepted on a rising
// edge where fold_valid & fold_ready; the next cycle is cycle 0 of the fold, which lasts exactly
// k + M + 1 cycles (0 .. k+M; fold_last high in cycle k+M). fold_ready is high when idle and in
// cycle k+M, so folds run back to back with no idle cycle.
//   cycles 0 .. k-1     (load)   w_in lane j is latched into input t = cycle's weight register of
//                                every used lane j (j < l);
//   cycles k .. k+M-1   (stream) a_in inputs 0..k-1 (row m = cycle - k) are latched into the
//                                activation register (MAC = 1: through the W Booth encoders);
//   cycles k+1 .. k+M            every used lane's result register latches the dot product of
//                                the activation register and its weights (mod 2^ACC_BITS);
//   the cycle after each such write: out_valid high, out_data = the result registers (lanes
//                                j < l of the fold that wrote them; the others hold old values).
// The last result leaves in the cycle after fold_last (the next fold's cycle 0, or idle).
// The activation register's unused inputs (k .. W-1) are not written; an AND after the register
// feeds the lanes zeros (MAC = 1: zero digits) from them, so their multipliers (selection cells)
// see 0 and the register's enables are exactly the contract's M k writes.
// Every register has a clock enable that is high only when it takes valid data: unused lanes
// and inputs never switch.
// MAC = 0: W signed multipliers and a pairwise adder tree per lane; MAC = 1: Booth-encoded
// activations (ENC = 3*ceil(IN_BITS/2) bits per input), selection cells, one compressor over all
// W products' partial-product rows, one final ACC_BITS add per lane (mactree_lane.v).
// Buses: a_in input i at [i*IN_BITS +: IN_BITS], w_in lane j at [j*IN_BITS +: IN_BITS], out_data
// lane j at [j*ACC_BITS +: ACC_BITS], two's complement.
// Preconditions: 1 <= fold_k <= WIDTH, 1 <= fold_l <= LANES, 1 <= fold_m < 2^M_BITS.
`default_nettype none

module mactree #(
    parameter LANES    = 16,
    parameter WIDTH    = 16,
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter MAC      = 0,   // 0: multipliers + adder tree; 1: bit-weight compressor
    parameter M_BITS   = 16,
    // derived, do not override
    parameter KB       = $clog2(WIDTH + 1),
    parameter LB       = $clog2(LANES + 1),
    parameter XW       = (MAC != 0) ? 3 * ((IN_BITS + 1) / 2) : IN_BITS  // activation register, per input
) (
    input  wire                      clk,
    input  wire                      rst,        // synchronous, active high (control only)
    input  wire                      fold_valid,
    output wire                      fold_ready,
    input  wire [KB-1:0]             fold_k,
    input  wire [LB-1:0]             fold_l,
    input  wire [M_BITS-1:0]         fold_m,
    input  wire [WIDTH*IN_BITS-1:0]  a_in,
    input  wire [LANES*IN_BITS-1:0]  w_in,
    output wire                      busy,       // a fold is in progress (its cycles 0 .. k+M)
    output wire                      fold_last,  // cycle k+M of the fold
    output wire [LANES*ACC_BITS-1:0] out_data,
    output wire                      out_valid
);

    // ------------------------------------------------------------------ fold controller
    // The cycle counter reaches k + M <= WIDTH + 2^M_BITS - 1.
    localparam CW = ((M_BITS > KB) ? M_BITS : KB) + 1;
    reg              busy_q;
    reg [KB-1:0]     k_q;
    reg [LB-1:0]     l_q;
    reg [M_BITS-1:0] m_q;
    reg [CW-1:0]     cyc_q;
    reg              rv_q;      // the result registers were written in the previous cycle

    wire [CW-1:0] k_x   = {{(CW - KB){1'b0}}, k_q};
    wire [CW-1:0] end_c = k_x + {{(CW - M_BITS){1'b0}}, m_q};  // k + M: the fold's last cycle
    wire last     = busy_q & (cyc_q == end_c);
    assign fold_ready = ~busy_q | last;
    wire accept   = fold_valid & fold_ready;
    wire load     = busy_q & (cyc_q < k_x);             // cycles 0 .. k-1
    wire stream   = busy_q & (cyc_q >= k_x) & ~last;    // cycles k .. k+M-1
    wire compute  = busy_q & (cyc_q > k_x);             // cycles k+1 .. k+M
    assign busy      = busy_q;
    assign fold_last = last;
    assign out_valid = rv_q;

    always @(posedge clk) begin
        if (rst) begin
            busy_q <= 1'b0;
            rv_q   <= 1'b0;
        end else begin
            rv_q <= compute;
            if (accept) begin
                busy_q <= 1'b1;
                k_q    <= fold_k;
                l_q    <= fold_l;
                m_q    <= fold_m;
                cyc_q  <= {CW{1'b0}};
            end else if (last) begin
                busy_q <= 1'b0;
            end else if (busy_q) begin
                cyc_q  <= cyc_q + 1'b1;
            end
        end
    end

    // ------------------------------------------------------------------ enables (rtl/tb counts them)
    wire [WIDTH-1:0]       in_used;   // input i < k: its activation is live
    wire [WIDTH-1:0]       x_we;      // activation register element writes
    wire [WIDTH-1:0]       w_ld;      // weight bus -> input t's registers (t = the load cycle)
    wire [LANES-1:0]       res_we;    // result register writes
    wire [LANES*WIDTH-1:0] w_we;      // weight register writes, lane j input i at j*WIDTH + i
    genvar gi, gj, gk;
    generate
        for (gi = 0; gi < WIDTH; gi = gi + 1) begin : g_iu
            assign in_used[gi] = (k_q > gi);
            assign x_we[gi]    = stream & in_used[gi];
            assign w_ld[gi]    = load & (cyc_q == gi);
        end
        for (gj = 0; gj < LANES; gj = gj + 1) begin : g_lu
            wire used = (l_q > gj);
            assign res_we[gj] = compute & used;
            assign w_we[gj*WIDTH +: WIDTH] = w_ld & {WIDTH{used}};
        end
    endgenerate

    // ------------------------------------------------------------------ activation register
    // x: what the lanes see, WIDTH inputs of XW bits (MAC = 1: Booth digits {neg, two, one} at
    // [3d +: 3]); zero for the unused inputs.
    wire [WIDTH*XW-1:0] x;
    generate
        for (gi = 0; gi < WIDTH; gi = gi + 1) begin : g_act
            wire [IN_BITS-1:0] v = a_in[gi*IN_BITS +: IN_BITS];
            wire [XW-1:0]      e;
            if (MAC == 0) begin : g_raw
                assign e = v;
            end else begin : g_enc
                // Radix-4 Booth encoder: v sign-extended to 2D bits, v[-1] = 0; digit d reads
                // (v[2d+1], v[2d], v[2d-1]) = ve[2d+2 .. 2d] (docs/engines/systolic.md).
                localparam D = (IN_BITS + 1) / 2;
                wire [2*D:0] ve;
                if (2 * D > IN_BITS) begin : g_odd
                    assign ve = {v[IN_BITS-1], v, 1'b0};
                end else begin : g_even
                    assign ve = {v, 1'b0};
                end
                for (gk = 0; gk < D; gk = gk + 1) begin : g_dig
                    wire one = ve[2*gk+1] ^ ve[2*gk];
                    wire two = (ve[2*gk+2] ^ ve[2*gk+1]) & ~one;
                    wire neg = ve[2*gk+2] & ~(ve[2*gk+1] & ve[2*gk]);
                    assign e[3*gk +: 3] = {neg, two, one};
                end
            end
            reg [XW-1:0] x_q;
            always @(posedge clk)
                if (x_we[gi])
                    x_q <= e;
            assign x[gi*XW +: XW] = x_q & {XW{in_used[gi]}};
        end
    endgenerate

    // ------------------------------------------------------------------ lanes
    generate
        for (gj = 0; gj < LANES; gj = gj + 1) begin : g_lane
            mactree_lane #(
                .WIDTH(WIDTH), .IN_BITS(IN_BITS), .ACC_BITS(ACC_BITS), .MAC(MAC)
            ) u_lane (
                .clk   (clk),
                .w_we  (w_we[gj*WIDTH +: WIDTH]),
                .w_in  (w_in[gj*IN_BITS +: IN_BITS]),
                .x     (x),
                .res_we(res_we[gj]),
                .res_o (out_data[gj*ACC_BITS +: ACC_BITS])
            );
        end
    endgenerate

endmodule

`default_nettype wire
