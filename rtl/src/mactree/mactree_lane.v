// mactree_lane.v -- one dot-product lane of mactree.v (docs/engines/mactree.md).
//
// Registers: WIDTH weight registers g_w[i].q (IN_BITS, written when w_we[i]) and the result
// register res_q (ACC_BITS, written when res_we; it drives res_o). Between the shared activation
// register (x; unused inputs zero) and res_q, combinational:
//   MAC = 0: WIDTH signed IN_BITS x IN_BITS multipliers and a pairwise adder tree: level l
//            (1 .. clog2(WIDTH)) adds elements 2e and 2e+1 of level l-1 in adders of
//            min(ACC_BITS, 2*IN_BITS + l) bits, an odd last element passing up; level 0 is the
//            products, cut to min(ACC_BITS, 2*IN_BITS) bits. Below ACC_BITS no level overflows
//            (2^l products of 2*IN_BITS bits); at ACC_BITS every sum wraps, as the contract says.
//   MAC = 1: per input t the D = ceil(IN_BITS/2) partial-product rows R_(t,d) of its Booth
//            digits and weight and its correction row (its neg bits at 2d; input 0's also holds
//            the constant K of all WIDTH inputs, modulo 2^TW), every row TW wide (TW =
//            min(ACC_BITS, 2*IN_BITS + clog2(WIDTH)), the bits a sum of WIDTH products has)
//            with literal constants (docs/engines/systolic.md "mac: bitweight"; rtl/src/common/
//            booth_rows.v, shared with the systolic PE), so synthesis folds exactly the
//            constants the model's fa/ha count assumes; the rows
//            [R_(0,0..D-1), corr_0, R_(1,0..D-1), corr_1, ...] are reduced three at a time by
//            3:2 compressors (csa_rows.v: first three first, sum and carry appended) until two remain, which
//            one TW-bit adder sums, sign-extended to ACC_BITS. Unused inputs arrive as zero digits: their rows are the
//            constant top bits that K cancels.
`default_nettype none

module mactree_lane #(
    parameter WIDTH    = 16,
    parameter IN_BITS  = 8,
    parameter ACC_BITS = 32,
    parameter MAC      = 0,
    // derived, do not override
    parameter XW       = (MAC != 0) ? 3 * ((IN_BITS + 1) / 2) : IN_BITS
) (
    input  wire                clk,
    input  wire [WIDTH-1:0]    w_we,    // weight register i takes w_in
    input  wire [IN_BITS-1:0]  w_in,
    input  wire [WIDTH*XW-1:0] x,       // the activation register (unused inputs zero)
    input  wire                res_we,
    output wire [ACC_BITS-1:0] res_o
);

    localparam D   = (IN_BITS + 1) / 2;   // MAC = 1: Booth digits per operand
    localparam R   = D + 1;               // ... rows per input: D digits and the correction row
    localparam NQ0 = WIDTH * R;           // ... rows into the compressor
    localparam LEVELS = (WIDTH > 1) ? $clog2(WIDTH) : 0;                // MAC = 0: tree levels
    localparam P0 = (ACC_BITS < 2 * IN_BITS) ? ACC_BITS : 2 * IN_BITS;  // ... product bits kept
    localparam TW = (ACC_BITS < 2 * IN_BITS + LEVELS) ? ACC_BITS : 2 * IN_BITS + LEVELS;  // the sum's bits
    genvar gi, gl, ge;

    // The registers, one clock enable each.
    generate
        for (gi = 0; gi < WIDTH; gi = gi + 1) begin : g_w
            reg [IN_BITS-1:0] q;
            always @(posedge clk)
                if (w_we[gi])
                    q <= w_in;
        end
    endgenerate
    wire [ACC_BITS-1:0] sum;   // what the result register takes
    reg  [ACC_BITS-1:0] res_q;
    always @(posedge clk)
        if (res_we)
            res_q <= sum;
    assign res_o = res_q;

    generate
        if (MAC == 0) begin : g_plain
            for (gi = 0; gi < WIDTH; gi = gi + 1) begin : g_mul
                wire signed [2*IN_BITS-1:0] prod = $signed(x[gi*XW +: IN_BITS]) * $signed(g_w[gi].q);
                wire [P0-1:0] p = prod[P0-1:0];
                if (P0 < 2 * IN_BITS) begin : g_cut
                    // Waiver: product bits at 2^ACC_BITS and above wrap away.
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire unused_hi = ^prod[2*IN_BITS-1:P0];
                    /* verilator lint_on UNUSEDSIGNAL */
                end
            end
            // Level gl: ceil(WIDTH / 2^gl) elements of BW bits.
            for (gl = 0; gl <= LEVELS; gl = gl + 1) begin : g_lv
                localparam N  = (WIDTH + (1 << gl) - 1) >> gl;
                localparam BW = (ACC_BITS < 2 * IN_BITS + gl) ? ACC_BITS : 2 * IN_BITS + gl;
                for (ge = 0; ge < N; ge = ge + 1) begin : g_e
                    wire [BW-1:0] v;
                    if (gl == 0) begin : g_leaf
                        assign v = g_mul[ge].p;
                    end else begin : g_up
                        localparam NP = (WIDTH + (1 << (gl - 1)) - 1) >> (gl - 1);  // level gl-1's elements
                        localparam PW = (ACC_BITS < 2 * IN_BITS + gl - 1) ? ACC_BITS : 2 * IN_BITS + gl - 1;
                        wire [PW-1:0] a = g_lv[gl-1].g_e[2*ge].v;
                        wire [BW-1:0] ax;
                        if (BW > PW) begin : g_sx
                            assign ax = {a[PW-1], a};
                        end else begin : g_nx
                            assign ax = a;
                        end
                        if (2 * ge + 1 < NP) begin : g_add
                            wire [PW-1:0] b = g_lv[gl-1].g_e[2*ge+1].v;
                            wire [BW-1:0] bx;
                            if (BW > PW) begin : g_sx
                                assign bx = {b[PW-1], b};
                            end else begin : g_nx
                                assign bx = b;
                            end
                            assign v = ax + bx;
                        end else begin : g_pass
                            assign v = ax;
                        end
                    end
                end
            end
            wire [TW-1:0] root = g_lv[LEVELS].g_e[0].v;
            if (TW < ACC_BITS) begin : g_sx
                assign sum = {{(ACC_BITS - TW){root[TW-1]}}, root};
            end else begin : g_nx
                assign sum = root;
            end
        end else begin : g_bw
            // Per input its rows and correction row (rtl/src/common/booth_rows.v; input 0's holds
            // the constants K of all WIDTH inputs), all reduced by one compressor queue
            // (csa_rows.v) and summed by the final add.
            wire [WIDTH*R*TW-1:0] pp;
            for (gi = 0; gi < WIDTH; gi = gi + 1) begin : g_in
                booth_rows #(.IN_BITS(IN_BITS), .W(TW), .KMULT(gi == 0 ? WIDTH : 0)) u_rows (
                    .enc(x[gi*XW +: XW]), .y(g_w[gi].q), .rows(pp[gi*R*TW +: R*TW]));
            end
            wire [TW-1:0] s_rows, c_rows;
            csa_rows #(.W(TW), .N(NQ0)) u_csa (.rows(pp), .s_out(s_rows), .c_out(c_rows));
            wire [TW-1:0] root = s_rows + c_rows;  // the final add
            if (TW < ACC_BITS) begin : g_sx
                assign sum = {{(ACC_BITS - TW){root[TW-1]}}, root};
            end else begin : g_nx
                assign sum = root;
            end
        end
    endgenerate

endmodule

`default_nettype wire
