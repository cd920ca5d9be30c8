// fp_widen.v -- exact conversion of a float into a format at least as wide (EO >= EI and
// FO >= FI), as models/numerics encode(out, decode(in, x)) does it: every finite value and the
// infinities exactly (subnormal inputs normalized when the output's range holds them as normals),
// any NaN to the canonical quiet NaN (sign 0, exponent all ones, fraction MSB set). With equal
// formats only NaNs change. Different formats need FO > FI and an output range that holds the
// input's subnormals as normals (fp16 -> fp32).
`default_nettype none

module fp_widen #(
    parameter EI = 5,
    parameter FI = 10,
    parameter EO = 8,
    parameter FO = 23
) (
    input  wire [EI+FI:0] x,
    output wire [EO+FO:0] y
);

    wire [EI-1:0] e = x[EI+FI-1:FI];
    wire [FI-1:0] f = x[FI-1:0];
    wire          e_max = &e;
    localparam [EO-1:0] ONES = {EO{1'b1}};
    localparam [EO+FO:0] QNAN = {1'b0, ONES, 1'b1, {(FO - 1){1'b0}}};

    generate
        if (EI == EO && FI == FO) begin : g_same
            assign y = (e_max && |f) ? QNAN : x;
        end else begin : g_wider
            localparam integer BI = (1 << (EI - 1)) - 1;
            localparam integer BO = (1 << (EO - 1)) - 1;
            // Subnormal input: value f * 2^(1 - BI - FI). Its leading one at bit p of f gives the
            // exponent p + 1 - BI - FI and the fraction bits below it, shifted to the top.
            localparam integer REBIAS_I = BO - BI;
            localparam integer SUB_E0_I = 1 - BI - FI + BO;  // the exponent field of f's bit 0
            localparam [EO-1:0] REBIAS = REBIAS_I[EO-1:0];
            localparam [EO-1:0] SUB_E0 = SUB_E0_I[EO-1:0];
            wire s = x[EI+FI];
            wire e_zero = ~|e;
            reg [EO-1:0] sub_e;
            reg [FO-1:0] sub_f;
            integer p;
            always @* begin
                sub_e = {EO{1'b0}};
                sub_f = {FO{1'b0}};
                for (p = 0; p < FI; p = p + 1)
                    if (f[p]) begin
                        sub_e = SUB_E0 + p[EO-1:0];
                        sub_f = {{(FO - FI){1'b0}}, f} << (FO - p);
                    end
            end
            wire [EO-1:0] norm_e = {{(EO - EI){1'b0}}, e} + REBIAS;
            assign y = e_max  ? (|f ? QNAN : {s, ONES, {FO{1'b0}}})
                     : e_zero ? (|f ? {s, sub_e, sub_f} : {s, {(EO + FO){1'b0}}})
                     :          {s, norm_e, f, {(FO - FI){1'b0}}};
        end
    endgenerate

endmodule

`default_nettype wire
