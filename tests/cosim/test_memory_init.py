"""The zero words of memory initialisers are left out of Verilator's text, and only those
(cosim/memory_init.py)."""

from panther.cosim.memory_init import strip_zero_memory_init

# As Yosys's write_verilog writes memories: one initial block per memory.
TEXT = """\
module top (clk, a, y);
  reg [15:0] fifos [3:0];
  initial begin
    fifos[0] = 16'h0000;
    fifos[1] = 16'h0000;
    fifos[2] = 16'h0000;
    fifos[3] = 16'h0000;
  end
  reg [4:0] \\rom$3  [2:0];
  initial begin
    \\rom$3 [0] = 5'h00;
    \\rom$3 [1] = 5'h1f;
    \\rom$3 [2] = 5'b00000;
  end
  reg [7:0] x = 8'h00;
  initial begin
    if (1) begin
      x = 8'h00;
    end
  end
endmodule
"""


def test_zero_words_go_other_words_and_statements_stay():
    out = strip_zero_memory_init(TEXT)
    assert "fifos[" not in out.replace("reg [15:0] fifos [3:0];", "")  # every word was zero
    assert "\\rom$3 [1] = 5'h1f;" in out                       # the one non-zero word stays
    assert "\\rom$3 [0]" not in out and "\\rom$3 [2]" not in out
    assert "reg [7:0] x = 8'h00;" in out                         # declaration initialiser
    assert "      x = 8'h00;" in out and "    if (1) begin" in out      # not a memory word
    assert out.count("initial begin") == 2                       # the emptied block went
    assert out.count("begin") == out.count(" end")              # blocks stay balanced
    assert len(out.splitlines()) == len(TEXT.splitlines()) - 8


def test_text_without_initial_blocks_is_unchanged():
    text = "module m (a);\n  input a;\nendmodule\n"
    assert strip_zero_memory_init(text) == text
