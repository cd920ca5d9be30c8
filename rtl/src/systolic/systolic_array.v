// systolic_array.v -- ROWS x COLS systolic array, os / ws / is dataflows selected per fold.
//
// Implements the timing and action contract of docs/engines/systolic.md exactly; the
// interface (ports, handshake, per-mode operand timing) is specified in docs/rtl.md.
//
// WEIGHT_DB = 0 (single-buffered stationary operand): one fold per handshake;
// (fold_mode, fold_r, fold_c, fold_t) is accepted on a rising edge where fold_valid &
// fold_ready; the next cycle is cycle 0 of the fold, which lasts exactly L = T + 2r + c - 2
// cycles (0 .. L-1). fold_ready is high when idle and in cycle L-1, so folds can run back to
// back with no idle cycle.
// WEIGHT_DB = 1 (double-buffered): the array holds a second command (the next fold) and
// fold_ready is high whenever that slot is free or frees at this edge. While a ws/is fold is
// past the cycle its last column took its stationary operand (cycle s + c - 1), the next
// ws/is fold's stationary rows are latched from the column bus into the PEs' shadow
// registers, one row per cycle; the next fold starts right after the current one's last
// cycle and only loads the rows not yet loaded (s of them, its "visible" load cycles), so
// it lasts L = s + T + r + c - 2 (os: T + 2r + c - 2). fold_last marks every fold's cycle L-1.
// During a fold the array samples row_in / col_in every cycle at the doc's cycles (the feeder
// applies the skew; there are no skew registers here) and presents results on out_data /
// out_valid combinationally.
// MAC = 1 (bit-weight PE, docs/engines/systolic.md "mac: bitweight"): one radix-4 Booth encoder
// per row between row_in and PE(i,0), the moving operand travels as its digits, the PEs pass
// {Cy, S} rows, and one ACC_BITS adder per column below the output mux forms S + Cy. Cycles,
// handshake, operand and output timing are those of MAC = 0.
// Preconditions: 1 <= fold_r <= ROWS, 1 <= fold_c <= COLS, 1 <= fold_t < 2^T_BITS.
`default_nettype none

module systolic_array #(
    parameter ROWS     = 8,
    parameter COLS     = 8,
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter T_BITS   = 16,
    parameter WEIGHT_DB = 0,     // 1: double-buffered stationary operand (shadow registers)
    parameter MAC      = 0,     // 0: plain PE; 1: bit-weight PE (the engine's `mac: bitweight`)
    // derived, do not override
    parameter RB       = $clog2(ROWS + 1),
    parameter CB       = $clog2(COLS + 1),
    parameter XW       = (MAC != 0) ? 3 * ((IN_BITS + 1) / 2) : IN_BITS  // a pipeline register
) (
    input  wire                     clk,
    input  wire                     rst,         // synchronous, active high
    // fold command (valid/ready)
    input  wire                     fold_valid,
    output wire                     fold_ready,
    input  wire [1:0]               fold_mode,   // 0: os, 1: ws, 2: is (3: reserved, runs as ws)
    input  wire [RB-1:0]            fold_r,      // used rows r
    input  wire [CB-1:0]            fold_c,      // used columns c
    input  wire [T_BITS-1:0]        fold_t,      // temporal extent T
    output wire                     busy,        // a fold is in progress (cycles 0..L-1)
    output wire                     fold_last,   // cycle L-1 of the fold in progress
    // operand edges: element i at bits [i*IN_BITS +: IN_BITS], two's complement
    input  wire [ROWS*IN_BITS-1:0]  row_in,      // left edge, one operand per row
    input  wire [COLS*IN_BITS-1:0]  col_in,      // top edge, one per column (ws/is: weight bus)
    // results: column j at bits [j*ACC_BITS +: ACC_BITS]
    output wire [COLS*ACC_BITS-1:0] out_data,
    output wire [COLS-1:0]          out_valid,
    // east edge: the a pipeline registers of column COLS-1 (row i at [i*XW +: XW]; MAC=1: the
    // Booth digits), for cascading arrays; it also keeps these registers through synthesis, so
    // every PE has the same flip-flops (the doc counts their writes like every other PE's)
    output wire [ROWS*XW-1:0]       row_out
);

    localparam LB = $clog2(2 * ROWS + COLS);
    localparam CW = ((T_BITS > LB) ? T_BITS : LB) + 1;  // holds 0 .. T + 2R + C - 3
    localparam PW = (MAC != 0) ? 2 * ACC_BITS : ACC_BITS;  // a PE's psum: acc, or {Cy, S}
    localparam D  = (IN_BITS + 1) / 2;                   // MAC=1: Booth digits per operand

    // ------------------------------------------------------------------ fold controller
    reg              busy_q;
    reg              os_q;
    reg [RB-1:0]     r_q;
    reg [CB-1:0]     c_q;
    reg [T_BITS-1:0] t_q;
    reg [CW-1:0]     cyc_q;    // cycle index inside the fold

    wire [CW-1:0] r_w = {{(CW - RB){1'b0}}, r_q};
    wire [CW-1:0] c_w = {{(CW - CB){1'b0}}, c_q};
    wire [CW-1:0] t_w = {{(CW - T_BITS){1'b0}}, t_q};
    // s: the fold's visible load cycles (ws/is stream start); os: r (its read-out), so that
    // every mode's last cycle is T + r + c + s - 3.
    wire [RB-1:0] s_cur;
    wire [CW-1:0] s_w = {{(CW - RB){1'b0}}, s_cur};

    wire [CW-1:0] last_cyc = t_w + r_w + c_w + s_w - 3;      // L - 1
    wire          last     = busy_q & (cyc_q == last_cyc);
    wire          accept   = fold_valid & fold_ready;
    assign busy       = busy_q;
    assign fold_last  = last;

    wire [ROWS-1:0] row_load;   // ws/is: row i latches the column bus this cycle
    wire [COLS-1:0] col_load;   // ... in column j (the loading fold's used columns)
    genvar gi, gj;

    generate
        if (WEIGHT_DB == 0) begin : g_ctl_sb
            assign s_cur      = r_q;
            assign fold_ready = ~busy_q | last;
            always @(posedge clk) begin
                if (rst) begin
                    busy_q <= 1'b0;
                end else if (accept) begin
                    busy_q <= 1'b1;
                    os_q   <= (fold_mode == 2'd0);
                    r_q    <= fold_r;
                    c_q    <= fold_c;
                    t_q    <= fold_t;
                    cyc_q  <= {CW{1'b0}};
                end else if (last) begin
                    busy_q <= 1'b0;
                end else if (busy_q) begin
                    cyc_q  <= cyc_q + 1'b1;
                end
            end
            for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_rl
                assign row_load[gi] = ~os_q & (cyc_q == gi);  // row t in cycle t = 0..r-1
            end
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_cl
                assign col_load[gj] = (c_q > gj);
            end
        end else begin : g_ctl_db
            reg [RB-1:0]     s_r;     // visible load cycles of the current fold
            reg              nv_q;    // next-fold slot full
            reg              nos_q;   // next fold is os
            reg [RB-1:0]     nr_q;
            reg [CB-1:0]     nc_q;
            reg [T_BITS-1:0] nt_q;
            reg [RB-1:0]     ld_q;    // rows of the loading fold latched so far
            assign s_cur = s_r;
            // Current fold loading its own remaining rows (cycles 0 .. s-1).
            wire cur_ld = busy_q & ~os_q & (cyc_q < s_w);
            // Prefetch of the next fold: the current fold is ws/is and every used PE has taken
            // its shadow (the swap of column c-1 in row i is in cycle s + i + c - 1, and row i
            // is reloaded no earlier), the next fold is ws/is and has rows left to load.
            wire [CW-1:0] pf0 = s_w + c_w - 1'b1;
            wire pf_ld = busy_q & ~os_q & nv_q & ~nos_q & (cyc_q >= pf0) & (ld_q < nr_q);
            wire [RB-1:0] ld_fin = ld_q + {{(RB - 1){1'b0}}, pf_ld};
            wire promote = last & nv_q;                     // the next fold starts after this edge
            wire start   = accept & (~busy_q | (last & ~nv_q));  // a command starts directly
            wire to_next = accept & ~start;
            assign fold_ready = ~nv_q | last;
            always @(posedge clk) begin
                if (rst) begin
                    busy_q <= 1'b0;
                    nv_q   <= 1'b0;
                end else begin
                    if (start) begin
                        busy_q <= 1'b1;
                        os_q   <= (fold_mode == 2'd0);
                        r_q    <= fold_r;
                        c_q    <= fold_c;
                        t_q    <= fold_t;
                        s_r    <= fold_r;
                        cyc_q  <= {CW{1'b0}};
                        ld_q   <= {RB{1'b0}};
                    end else if (promote) begin
                        os_q   <= nos_q;
                        r_q    <= nr_q;
                        c_q    <= nc_q;
                        t_q    <= nt_q;
                        s_r    <= nos_q ? nr_q : nr_q - ld_fin;
                        cyc_q  <= {CW{1'b0}};
                        ld_q   <= (ld_fin == nr_q) ? {RB{1'b0}} : ld_fin;
                    end else if (last) begin
                        busy_q <= 1'b0;
                    end else if (busy_q) begin
                        cyc_q  <= cyc_q + 1'b1;
                        if (cur_ld | pf_ld)  // the current fold's last row hands the counter to the prefetch
                            ld_q <= (cur_ld & (ld_q + 1'b1 == r_q)) ? {RB{1'b0}} : ld_q + 1'b1;
                    end
                    if (to_next) begin
                        nv_q  <= 1'b1;
                        nos_q <= (fold_mode == 2'd0);
                        nr_q  <= fold_r;
                        nc_q  <= fold_c;
                        nt_q  <= fold_t;
                    end else if (promote) begin
                        nv_q  <= 1'b0;
                    end
                end
            end
            for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_rl
                assign row_load[gi] = (cur_ld | pf_ld) & (ld_q == gi);
            end
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_cl
                assign col_load[gj] = cur_ld ? (c_q > gj) : (nc_q > gj);
            end
        end
    endgenerate

    // Stream start: os at cycle 0, ws/is at cycle s (after the visible load cycles).
    wire [CW-1:0] st_w   = os_q ? {CW{1'b0}} : s_w;
    wire          v_src  = busy_q & (cyc_q >= st_w) & (cyc_q < st_w + t_w);  // valid into PE(0,0)
    // os drain: cycles T + r + c - 2 + d, d = 0 .. r-1
    wire [CW-1:0] drain0 = t_w + r_w + c_w - 2;
    wire          drain  = busy_q & os_q & (cyc_q >= drain0);
    wire [RB-1:0] d_w    = cyc_q[RB-1:0] - drain0[RB-1:0];  // d mod 2^RB == d, as d < r
    // output mux select: os -> drain row d; ws/is -> bottom used row r-1
    wire [RB-1:0] sel    = os_q ? d_w : r_q - 1'b1;

    wire [ROWS-1:0] row_used;
    wire [COLS-1:0] col_used;
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_rowctl
            assign row_used[gi] = busy_q & (r_q > gi);
        end
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_colctl
            assign col_used[gj] = (c_q > gj);
        end
    endgenerate

    // ------------------------------------------------------------------ PE grid
    // PE (i,j) has flat index i*COLS + j.
    // Waiver: the outgoing pipeline values of the east column (v_q) and south row (b_q, acc_q)
    // have no consumer in the neighbour slot; every bit is still used inside its own PE
    // (v_q: os first-k select; b_q: ws/is weight; acc_q: os read-out), so nothing is dropped
    // in synthesis. The east column's a_q leaves through row_out.
    /* verilator lint_off UNUSED */
    wire [ROWS*COLS-1:0]          v_q_w;
    // One net per PE (arrays of nets, not one flat vector): a simulator then updates a PE's
    // value alone instead of rebuilding a ROWS*COLS*ACC_BITS-bit vector on every change.
    wire [XW-1:0]                 a_q_w   [0:ROWS*COLS-1];
    wire [IN_BITS-1:0]            b_q_w   [0:ROWS*COLS-1];
    wire [PW-1:0]                 acc_q_w [0:ROWS*COLS-1];
    /* verilator lint_on UNUSED */
    wire [ROWS*COLS-1:0]          mac_w;
    wire [PW-1:0]                 res_w   [0:ROWS*COLS-1];

    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_row
            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_col
                localparam P = gi * COLS + gj;
                wire                v_in;
                wire [XW-1:0]       a_in;
                wire [IN_BITS-1:0]  b_in;
                wire [PW-1:0]       psum_in;
                if (gj > 0) begin : g_left
                    assign v_in = v_q_w[P-1];
                    assign a_in = a_q_w[P-1];
                end else begin : g_edge_l
                    // valid enters PE(0,0) and walks down column 0 (one cycle per row: the skew)
                    if (gi > 0) begin : g_vdown
                        assign v_in = v_q_w[P-COLS];
                    end else begin : g_vsrc
                        assign v_in = v_src;
                    end
                    wire [IN_BITS-1:0] x = row_in[gi*IN_BITS +: IN_BITS];
                    if (MAC == 0) begin : g_raw
                        assign a_in = x;
                    end else begin : g_enc
                        // The row's radix-4 Booth encoder: x sign-extended to 2D bits, x[-1] = 0;
                        // digit k reads (x[2k+1], x[2k], x[2k-1]) = xe[2k+2 .. 2k].
                        wire [2*D:0] xe;
                        if (2 * D > IN_BITS) begin : g_odd
                            assign xe = {x[IN_BITS-1], x, 1'b0};
                        end else begin : g_even
                            assign xe = {x, 1'b0};
                        end
                        genvar gk;
                        for (gk = 0; gk < D; gk = gk + 1) begin : g_dig
                            wire one = xe[2*gk+1] ^ xe[2*gk];
                            wire two = (xe[2*gk+2] ^ xe[2*gk+1]) & ~one;
                            wire neg = xe[2*gk+2] & ~(xe[2*gk+1] & xe[2*gk]);
                            assign a_in[3*gk +: 3] = {neg, two, one};
                        end
                    end
                end
                if (gi > 0) begin : g_up
                    assign b_in    = b_q_w[P-COLS];
                    assign psum_in = acc_q_w[P-COLS];
                end else begin : g_edge_t
                    assign b_in    = col_in[gj*IN_BITS +: IN_BITS];
                    assign psum_in = {PW{1'b0}};
                end

                systolic_pe #(
                    .IN_BITS (IN_BITS),
                    .ACC_BITS(ACC_BITS),
                    .WEIGHT_DB(WEIGHT_DB),
                    .MAC     (MAC)
                ) u_pe (
                    .clk    (clk),
                    .rst    (rst),
                    .is_os  (os_q),
                    .en     (row_used[gi] & col_used[gj]),
                    .last   (last),
                    .v_in   (v_in),
                    .a_in   (a_in),
                    .b_in   (b_in),
                    .w_ld   (WEIGHT_DB != 0 ? row_load[gi] & col_load[gj] : row_load[gi]),
                    .w_in   (col_in[gj*IN_BITS +: IN_BITS]),
                    .psum_in(psum_in),
                    .v_o    (v_q_w[P]),
                    .a_o    (a_q_w[P]),
                    .b_o    (b_q_w[P]),
                    .acc_o  (acc_q_w[P]),
                    .mac_o  (mac_w[P]),
                    .res_o  (res_w[P])
                );
            end
        end

        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_east
            assign row_out[gi*XW +: XW] = a_q_w[gi*COLS+COLS-1];
        end

        // ------------------------------------------------------------------ output muxes
        // One ROWS:1 mux per column. os: drain cycle d reads row d's accumulator (counted as
        // a mux read, os_rd). ws/is: passes row r-1's psum as it is written (not counted by the
        // doc: the mux select is static for the whole fold). MAC=1: the mux carries {Cy, S} and
        // the column's one adder below it forms the result S + Cy (the final add).
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_out
            reg [PW-1:0]       mux_data;
            reg                mux_mac;
            integer            k;
            always @* begin
                mux_data = {PW{1'b0}};
                mux_mac  = 1'b0;
                for (k = 0; k < ROWS; k = k + 1) begin
                    if (sel == k[RB-1:0]) begin
                        mux_data = res_w[k*COLS+gj];
                        mux_mac  = mac_w[k*COLS+gj];
                    end
                end
            end
            wire os_rd = drain & col_used[gj];  // one mux read (acc_bits) this cycle
            if (MAC == 0) begin : g_res
                assign out_data[gj*ACC_BITS +: ACC_BITS] = mux_data;
            end else begin : g_fadd
                assign out_data[gj*ACC_BITS +: ACC_BITS] = mux_data[ACC_BITS-1:0] + mux_data[PW-1:ACC_BITS];
            end
            assign out_valid[gj] = os_q ? os_rd : mux_mac;
        end
    endgenerate

endmodule

`default_nettype wire
