module acc(input clk, input [7:0] a, output reg [15:0] y);
  reg [7:0] ra;
  always @(posedge clk) begin ra <= a; y <= y + ra * ra; end
endmodule
