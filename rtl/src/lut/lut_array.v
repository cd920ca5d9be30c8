// lut_array.v -- ROWS x COLS table-lookup units for low-bit weights (LUT Tensor Core style).
//
// Implements the timing, numbers and action contract of docs/engines/lut.md exactly.
// A fold command (fold_r rows, fold_c columns, fold_g groups of K activations, fold_w weight
// planes = the weight format's bits) is accepted on a rising edge where fold_valid & fold_ready;
// the same edge loads the fold's group 0: each used row's table, built combinationally from its
// K activations on row_in, and each used column's K weights from col_in. fold_ready is high when
// no fold computes, and in the cycle a fold computes its last plane, so folds run back to back.
// A group takes fold_w cycles, one per plane p (least significant first); group g+1 loads at the
// edge ending group g's last plane (group_load high in that cycle: the feeder drives it then).
// Each cycle every used unit (i, j) selects the entry of row i's table that column j's plane
// digits index, flips its sign (SYM: weight 0's digit), scales it by 2^p and adds it to its
// accumulator; in a group's plane 0 each used row adds its activation sum (-entry 0) to its
// offset. The fold's last plane copies accumulators and offsets into result registers, read out
// one row per cycle on out_data / out_valid / out_row as (acc - offset) / 2 while the next fold
// computes; the last plane holds (hold high, no unit enabled) while the previous read-out has
// more than its current row left.
// Numbers: FP = 0: activations ints (ABITS = 8 bits on the bus), entries TB = 8 + clog2(K + 1)
// bits (exact), accumulators OB + 1 bits wrapping, results OB bits. FP = 1: fp16 activations,
// entries in (ET, FT), accumulators and results in (EA, FA); every add is fp_add.v (one
// rounding to nearest even), in the wider of the two formats (fp_widen.v converts exactly).
// Buses: row i activation k at [(i*K + k)*ABITS +: ABITS]; column j weight k at
// [(j*K + k)*WB +: WB], two's complement sign-extended to WB bits (a fold_w-bit weight's
// offset-binary digit for plane p is bit p, inverted at p = fold_w - 1).
// Table store (TS > 0): TS slots per row keep tables for a tile's later column folds. A fold
// with fold_store writes each group g < TS's built tables into slot g as they load; a fold with
// fold_reuse loads groups g < TS from slot g instead of building them (its row_in is ignored for
// them); later groups are built.
// Fused precompute (PRE = 0): the operator that wrote the activations wrote their tables; row i's
// bus field [i*PW +: PW] carries its table word (the layout of the table register, LutArith::
// table_word) and the table register loads it as it would a built table; there are no
// precompute adders.
// Preconditions: 1 <= fold_r <= ROWS, 1 <= fold_c <= COLS, 1 <= fold_g < 2^G_BITS,
// 1 <= fold_w <= WB; not fold_store and fold_reuse together; fold_reuse only on rows whose slots
// an earlier fold filled.
`default_nettype none

module lut_array #(
    parameter ROWS   = 2,
    parameter COLS   = 4,
    parameter K      = 4,     // activations per table
    parameter SYM    = 1,     // store half of each table, flip signs by weight 0's digit
    parameter WB     = 4,     // widest weight (planes)
    parameter FP     = 0,     // 0: int activations, 1: fp16
    parameter OB     = 32,    // int result bits (FP = 0)
    parameter ET     = 5,     // fp table format: exponent / fraction bits (FP = 1)
    parameter FT     = 10,
    parameter EA     = 5,     // fp accumulator and result format (FP = 1)
    parameter FA     = 10,
    parameter G_BITS = 16,
    parameter TS     = 0,     // table store slots per row (0: none)
    parameter PRE    = 1,     // 1: tables built here from activations; 0: table words on row_in
    // derived, do not override
    parameter ABITS  = (FP != 0) ? 16 : 8,
    parameter SB     = (SYM != 0) ? K - 1 : K,             // select bits
    parameter E      = 1 << SB,                            // stored entries
    parameter SBW    = (SB > 0) ? SB : 1,                  // select port width
    parameter TB     = (FP != 0) ? 1 + ET + FT : 8 + $clog2(K + 1),
    parameter DB     = (FP != 0) ? 1 + EA + FA : OB + 1,   // accumulator bits
    parameter RESB   = (FP != 0) ? 1 + EA + FA : OB,       // result bits
    parameter EW     = (ET > EA) ? ET : EA,                // the adders' input format
    parameter FW     = (FT > FA) ? FT : FA,
    parameter PB     = $clog2(WB + 1),                     // holds 0 .. WB
    parameter SHW    = (WB > 2) ? 2 : 1,                   // plane shift bits
    parameter RB     = $clog2(ROWS + 1),
    parameter CB     = $clog2(COLS + 1),
    parameter SLB    = (TS > 1) ? $clog2(TS) : 1,          // store slot index bits
    // one table's flip-flops: ints keep the shared LSB once; a full fp table keeps its negated
    // half's signs only (the magnitudes are the stored half's)
    parameter PW     = (FP == 0) ? E*(TB-1) + 1 : ((SYM != 0) ? E*TB : (E/2)*TB + E/2),
    parameter RIW    = (PRE != 0) ? K*ABITS : PW                  // row bus bits per row
) (
    input  wire                       clk,
    input  wire                       rst,          // synchronous, active high
    input  wire                       fold_valid,
    output wire                       fold_ready,
    input  wire [RB-1:0]              fold_r,
    input  wire [CB-1:0]              fold_c,
    input  wire [G_BITS-1:0]          fold_g,
    input  wire [PB-1:0]              fold_w,
    input  wire                       fold_store,   // keep the built tables (TS > 0)
    input  wire                       fold_reuse,   // take tables from the store (TS > 0)
    input  wire [ROWS*RIW-1:0]        row_in,
    input  wire [COLS*K*WB-1:0]       col_in,
    output wire                       busy,         // a fold computes (or holds)
    output wire                       hold,         // its last plane waits for the read-out
    output wire                       group_load,   // the next group loads at this edge
    output wire                       ro_busy,      // a read-out is in progress
    output wire [COLS*RESB-1:0]       out_data,
    output wire [COLS-1:0]            out_valid,
    output wire [RB-1:0]              out_row
);

    // ------------------------------------------------------------------ fold controller
    reg              busy_q;
    reg [RB-1:0]     r_q;
    reg [CB-1:0]     c_q;
    reg [G_BITS-1:0] g_q, grp_q;
    reg [PB-1:0]     w_q, p_q;
    reg              ro_q;
    reg              store_q, reuse_q;
    reg [RB-1:0]     ro_row_q, ro_r_q;
    reg [CB-1:0]     ro_c_q;

    wire p_last    = (p_q == w_q - 1'b1);
    wire grp_last  = (grp_q == g_q - 1'b1);
    wire fold_end  = busy_q & p_last & grp_last;
    wire ro_more   = ro_q & (ro_row_q + 1'b1 < ro_r_q);  // more than this cycle's row left
    assign hold    = fold_end & ro_more;
    wire en        = busy_q & ~hold;
    wire done      = en & p_last & grp_last;       // the copy into the result registers
    assign fold_ready = ~busy_q | done;
    wire accept    = fold_valid & fold_ready;
    assign group_load = en & p_last & ~grp_last;
    wire plane0    = (p_q == {PB{1'b0}});
    wire first     = (grp_q == {G_BITS{1'b0}}) & plane0;  // the fold's first cycle
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
                w_q    <= fold_w;
                store_q <= fold_store;
                reuse_q <= fold_reuse;
                grp_q  <= {G_BITS{1'b0}};
                p_q    <= {PB{1'b0}};
            end else if (done) begin
                busy_q <= 1'b0;
            end else if (en) begin
                if (!p_last) begin
                    p_q <= p_q + 1'b1;
                end else begin
                    p_q   <= {PB{1'b0}};
                    grp_q <= grp_q + 1'b1;
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

    wire          load = accept | group_load;
    wire [RB-1:0] ld_r = accept ? fold_r : r_q;
    wire [CB-1:0] ld_c = accept ? fold_c : c_q;
    wire [SHW-1:0] shift = p_q[SHW-1:0];  // p < WB <= 2^SHW
    // The group that loads and whether its tables go to or come from its store slot.
    wire [G_BITS-1:0] ld_grp = accept ? {G_BITS{1'b0}} : grp_q + 1'b1;
    wire in_store = (TS > 0) && ({{(32 - G_BITS){1'b0}}, ld_grp} < TS);
    wire ld_store = in_store & (accept ? fold_store : store_q);
    wire ld_reuse = in_store & (accept ? fold_reuse : reuse_q);
    wire [SLB-1:0] slot = ld_grp[SLB-1:0];

    genvar gi, gj, gk, gx;

    // ------------------------------------------------------------------ tables
    wire [E*TB-1:0] tab [0:ROWS-1];
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_row
            wire [PW-1:0] word;
            if (PRE != 0) begin : g_pre
                wire [TB-1:0] x [0:K-1];  // the activations in the table format
                for (gk = 0; gk < K; gk = gk + 1) begin : g_x
                    wire [ABITS-1:0] a = row_in[(gi*K + gk)*ABITS +: ABITS];
                    if (FP == 0) begin : g_int
                        assign x[gk] = {{(TB - ABITS){a[ABITS-1]}}, a};
                    end else if (ET == 5 && FT == 10) begin : g_fp16
                        assign x[gk] = a;
                    end else begin : g_wide
                        fp_widen #(.EI(5), .FI(10), .EO(ET), .FO(FT)) u_w (.x(a), .y(x[gk]));
                    end
                end
                // Doubling: level 0 is [-x0]; level l is [t - x_l] ++ [t + x_l] over level l-1's t.
                for (gk = 0; gk < K; gk = gk + 1) begin : g_lvl
                    wire [(1 << gk)*TB-1:0] t;
                    if (gk == 0) begin : g_first
                        if (FP == 0) begin : g_int
                            assign t = -x[0];
                        end else begin : g_fp
                            assign t = {~x[0][TB-1], x[0][TB-2:0]};
                        end
                    end else begin : g_next
                        for (gx = 0; gx < (1 << (gk - 1)); gx = gx + 1) begin : g_e
                            wire [TB-1:0] prev = g_lvl[gk-1].t[gx*TB +: TB];
                            if (FP == 0) begin : g_int
                                assign t[gx*TB +: TB] = prev - x[gk];
                                assign t[((1 << (gk - 1)) + gx)*TB +: TB] = prev + x[gk];
                            end else begin : g_fp
                                fp_add #(.EI(ET), .FI(FT), .EO(ET), .FO(FT), .SHW(1)) u_sub (
                                    .a(prev), .b(x[gk]), .neg_b(1'b1), .sh_b(1'b0), .half(1'b0),
                                    .y(t[gx*TB +: TB]));
                                fp_add #(.EI(ET), .FI(FT), .EO(ET), .FO(FT), .SHW(1)) u_add (
                                    .a(prev), .b(x[gk]), .neg_b(1'b0), .sh_b(1'b0), .half(1'b0),
                                    .y(t[((1 << (gk - 1)) + gx)*TB +: TB]));
                            end
                        end
                    end
                end
                // The stored table: the symmetric half, or the full table with entry 2q + 1 the
                // negation of half entry ~q.
                wire [E*TB-1:0] built;
                if (SYM != 0) begin : g_sym
                    assign built = g_lvl[K-1].t;
                end else begin : g_full
                    localparam H = E / 2;
                    for (gx = 0; gx < H; gx = gx + 1) begin : g_q
                        wire [TB-1:0] pos = g_lvl[K-1].t[gx*TB +: TB];
                        wire [TB-1:0] inv = g_lvl[K-1].t[(H - 1 - gx)*TB +: TB];
                        assign built[(2*gx)*TB +: TB] = pos;
                        if (FP == 0) begin : g_int
                            assign built[(2*gx + 1)*TB +: TB] = -inv;
                        end else begin : g_fp
                            assign built[(2*gx + 1)*TB +: TB] = {~inv[TB-1], inv[TB-2:0]};
                        end
                    end
                end
                // The table register and the store slots keep the table's word (PW bits).
                if (FP == 0) begin : g_pint
                    // Every int entry has the parity of the activations' sum: its LSB is kept once.
                    for (gx = 0; gx < E; gx = gx + 1) begin : g_e
                        assign word[1 + gx*(TB-1) +: TB-1] = built[gx*TB+1 +: TB-1];
                    end
                    assign word[0] = built[0];
                    /* verilator lint_off UNUSED */
                    wire [E-1:0] unused_lsbs;  // equal to built[0]
                    for (gx = 0; gx < E; gx = gx + 1) begin : g_u
                        assign unused_lsbs[gx] = built[gx*TB];
                    end
                    /* verilator lint_on UNUSED */
                end else if (SYM != 0) begin : g_psym
                    assign word = built;
                end else begin : g_pfull
                    localparam H = E / 2;
                    for (gx = 0; gx < H; gx = gx + 1) begin : g_q
                        assign word[gx*TB +: TB] = built[(2*gx)*TB +: TB];
                        assign word[H*TB + gx]   = built[(2*gx + 1)*TB + TB - 1];
                    end
                    /* verilator lint_off UNUSED */
                    wire [E/2*(TB-1)-1:0] unused_mags;  // the stored half's magnitudes
                    for (gx = 0; gx < H; gx = gx + 1) begin : g_u
                        assign unused_mags[gx*(TB-1) +: TB-1] = built[(2*gx + 1)*TB +: TB-1];
                    end
                    /* verilator lint_on UNUSED */
                end
            end else begin : g_bus
                assign word = row_in[gi*PW +: PW];
            end
            wire [PW-1:0] stored;  // the slot that loads (TS > 0)
            wire we       = load & (ld_r > gi);
            wire built_we = we & ~ld_reuse;  // a table built (counted by the testbench)
            /* verilator lint_off UNUSED */
            wire reuse_we = we & ld_reuse;   // a table taken from the store (testbench)
            /* verilator lint_on UNUSED */
            wire store_we = built_we & ld_store;
            if (TS > 0) begin : g_store
                reg [PW-1:0] st_q [0:TS-1];
                for (gx = 0; gx < TS; gx = gx + 1) begin : g_s
                    localparam [SLB-1:0] SL = gx;
                    always @(posedge clk) begin
                        if (store_we && slot == SL) st_q[gx] <= word;
                    end
                end
                reg [PW-1:0] rd;
                integer sl;
                always @* begin
                    rd = st_q[0];
                    for (sl = 1; sl < TS; sl = sl + 1)
                        if (slot == sl[SLB-1:0]) rd = st_q[sl];
                end
                assign stored = rd;
            end else begin : g_nostore
                assign stored = word;
                /* verilator lint_off UNUSED */
                wire unused_store = store_we ^ (|slot);
                /* verilator lint_on UNUSED */
            end
            reg [PW-1:0] tab_q;
            always @(posedge clk) begin
                if (we) tab_q <= ld_reuse ? stored : word;
            end
            if (FP == 0) begin : g_uint
                for (gx = 0; gx < E; gx = gx + 1) begin : g_e
                    assign tab[gi][gx*TB +: TB] = {tab_q[1 + gx*(TB-1) +: TB-1], tab_q[0]};
                end
            end else if (SYM != 0) begin : g_usym
                assign tab[gi] = tab_q;
            end else begin : g_ufull
                localparam H = E / 2;
                for (gx = 0; gx < H; gx = gx + 1) begin : g_q
                    assign tab[gi][(2*gx)*TB +: TB] = tab_q[gx*TB +: TB];
                    assign tab[gi][(2*gx + 1)*TB +: TB] = {tab_q[H*TB + gx], tab_q[(H - 1 - gx)*TB +: TB-1]};
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------ weight columns
    // Per column: the K weights; this plane's offset-binary digits; the select and the sign.
    wire [SBW-1:0] sel [0:COLS-1];
    wire          flip [0:COLS-1];
    generate
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_col
            reg [K*WB-1:0] w_reg;
            wire we = load & (ld_c > gj);
            always @(posedge clk) begin
                if (we) w_reg <= col_in[gj*K*WB +: K*WB];
            end
            wire [K-1:0] digit;
            for (gk = 0; gk < K; gk = gk + 1) begin : g_d
                wire [WB-1:0] wk = w_reg[gk*WB +: WB];
                reg b;
                integer p;
                always @* begin
                    b = wk[0];
                    for (p = 1; p < WB; p = p + 1)
                        if (p_q == p[PB-1:0]) b = wk[p];
                end
                assign digit[gk] = b ^ p_last;  // offset binary: the top bit inverted
            end
            if (SYM != 0) begin : g_sym
                if (K > 1) begin : g_sel
                    assign sel[gj] = digit[K-1:1] ^ {(K - 1){digit[0]}};
                end else begin : g_one
                    assign sel[gj] = 1'b0;  // one entry (SB = 0 is widened to a 1-bit zero)
                end
                assign flip[gj] = digit[0];
            end else begin : g_full
                assign sel[gj]  = digit;
                assign flip[gj] = 1'b0;
            end
        end
    endgenerate

    // ------------------------------------------------------------------ units and offsets
    wire [DB-1:0] res_w [0:ROWS*COLS-1];
    wire [DB-1:0] ores_w [0:ROWS-1];
    generate
        for (gi = 0; gi < ROWS; gi = gi + 1) begin : g_r
            // The row's offset: + the activation sum (-entry 0) in each group's plane 0.
            reg  [DB-1:0] off_q;
            wire [DB-1:0] off_base = first ? {DB{1'b0}} : off_q;
            wire [TB-1:0] t0 = tab[gi][TB-1:0];
            wire [DB-1:0] off_d;
            if (FP == 0) begin : g_oint
                assign off_d = off_base - {{(DB - TB){t0[TB-1]}}, t0};
            end else begin : g_ofp
                wire [EW+FW:0] a_w, b_w;
                fp_widen #(.EI(EA), .FI(FA), .EO(EW), .FO(FW)) u_a (.x(off_base), .y(a_w));
                fp_widen #(.EI(ET), .FI(FT), .EO(EW), .FO(FW)) u_b (.x(t0), .y(b_w));
                fp_add #(.EI(EW), .FI(FW), .EO(EA), .FO(FA), .SHW(1)) u_off (
                    .a(a_w), .b(b_w), .neg_b(1'b1), .sh_b(1'b0), .half(1'b0), .y(off_d));
            end
            wire off_we = en & plane0 & (r_q > gi);
            always @(posedge clk) begin
                if (off_we) off_q <= off_d;
            end
            reg [DB-1:0] ores_q;
            wire ores_we = done & (r_q > gi);
            always @(posedge clk) begin
                if (ores_we) ores_q <= plane0 ? off_d : off_q;
            end
            assign ores_w[gi] = ores_q;

            for (gj = 0; gj < COLS; gj = gj + 1) begin : g_c
                wire unit_en = en & (r_q > gi) & (c_q > gj);
                wire [TB-1:0] entry = tab[gi][sel[gj]*TB +: TB];
                reg  [DB-1:0] acc_q;
                wire [DB-1:0] acc_base = first ? {DB{1'b0}} : acc_q;
                wire [DB-1:0] acc_d;
                if (FP == 0) begin : g_int
                    wire [DB-1:0] v = {{(DB - TB){entry[TB-1]}}, entry} << shift;
                    assign acc_d = flip[gj] ? acc_base - v : acc_base + v;
                end else begin : g_fp
                    wire [EW+FW:0] a_w, b_w;
                    fp_widen #(.EI(EA), .FI(FA), .EO(EW), .FO(FW)) u_a (.x(acc_base), .y(a_w));
                    fp_widen #(.EI(ET), .FI(FT), .EO(EW), .FO(FW)) u_b (.x(entry), .y(b_w));
                    fp_add #(.EI(EW), .FI(FW), .EO(EA), .FO(FA), .SHW(SHW)) u_acc (
                        .a(a_w), .b(b_w), .neg_b(flip[gj]), .sh_b(shift), .half(1'b0), .y(acc_d));
                end
                always @(posedge clk) begin
                    if (unit_en) acc_q <= acc_d;
                end
                reg [DB-1:0] res_q;
                wire res_we = done & (r_q > gi) & (c_q > gj);
                always @(posedge clk) begin
                    if (res_we) res_q <= acc_d;
                end
                assign res_w[gi*COLS + gj] = res_q;
            end
        end

        // Read-out: per column a ROWS:1 mux, then (acc - offset) / 2.
        for (gj = 0; gj < COLS; gj = gj + 1) begin : g_out
            reg [DB-1:0] d, o;
            integer r;
            always @* begin
                d = res_w[gj];
                o = ores_w[0];
                for (r = 1; r < ROWS; r = r + 1)
                    if (ro_row_q == r[RB-1:0]) begin
                        d = res_w[r*COLS + gj];
                        o = ores_w[r];
                    end
            end
            wire [RESB-1:0] y;
            if (FP == 0) begin : g_int
                wire [DB-1:0] diff = d - o;  // even: twice the dot product
                assign y = diff[DB-1:1];
                /* verilator lint_off UNUSED */
                wire unused_lsb = diff[0];
                /* verilator lint_on UNUSED */
            end else begin : g_fp
                fp_add #(.EI(EA), .FI(FA), .EO(EA), .FO(FA), .SHW(1)) u_res (
                    .a(d), .b(o), .neg_b(1'b1), .sh_b(1'b0), .half(1'b1), .y(y));
            end
            assign out_data[gj*RESB +: RESB] = y;
            assign out_valid[gj] = ro_q & (ro_c_q > gj);
        end
    endgenerate
    assign out_row = ro_row_q;

endmodule

`default_nettype wire
