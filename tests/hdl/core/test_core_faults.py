"""Every error the core reports, with the golden model's code, PC and state."""

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa.assembler import assemble
from panther.isa.encoding import encode, make
from panther.isa.faults import CoreFault
from panther.isa.table import BY_MNEMONIC, OPCODE_LSB

from .core_harness import compare

CFG = PRESETS["small"]
A = CFG.addr_space


def _run(text, config=CFG):
    rtl, gold = compare(assemble(text, config=config))
    return rtl, gold


def w(mnemonic, **operands):
    """A raw ``.word`` (the assembler rejects out-of-range operands itself)."""
    return f".word {encode(make(mnemonic, **operands))}"


CASES = {
    "illegal_opcode": (f".word {63 << OPCODE_LSB}", CoreFault.ILLEGAL_INSTRUCTION),
    "reserved_bits": (f".word {(BY_MNEMONIC['hlt'].opcode << OPCODE_LSB) | 1}",
                      CoreFault.ILLEGAL_INSTRUCTION),
    "alu_imm_only_fn": (f".word {(BY_MNEMONIC['alu'].opcode << OPCODE_LSB) | (3 << 52)}",
                        CoreFault.ILLEGAL_INSTRUCTION),
    "store_count_zero": (f".word {BY_MNEMONIC['st'].opcode << OPCODE_LSB}",
                         CoreFault.ILLEGAL_INSTRUCTION),
    "cp_out_of_range": (w("cp", dst=A - 2, src=0, vw=4), CoreFault.ADDRESS_RANGE),
    "set_out_of_range": (w("set", dst=A, imm=1), CoreFault.ADDRESS_RANGE),
    "alu_int_src": (w("alu_int", fn="add", dst=0, src1=A, src2=0), CoreFault.ADDRESS_RANGE),
    "branch_src": (w("beq", src1=0, src2=A + 5, target=0), CoreFault.ADDRESS_RANGE),
    "ld_smem_range": (w("ld", dst=0, saddr=CFG.smem_depth - 1, vw=2), CoreFault.SMEM_ADDRESS_RANGE),
    "st_smem_range_first": (w("st", saddr=CFG.smem_depth, src=A, vw=1, count=1), CoreFault.SMEM_ADDRESS_RANGE),
    "ld_dst_range": (w("ld", dst=A - 1, saddr=0, vw=2), CoreFault.ADDRESS_RANGE),
    # ldx/stx: M[3] = 9 (set by _run); the effective address is checked, then the vector
    "ldx_smem_range": (w("ldx", dst=0, base=3, saddr=CFG.smem_user_depth - 10, vw=2),
                       CoreFault.SMEM_ADDRESS_RANGE),
    "ldx_base_is_unsigned": ("set 5, -1\n" + w("ldx", dst=0, base=5, saddr=0, vw=1),
                             CoreFault.SMEM_ADDRESS_RANGE),
    "stx_smem_range_first": (w("stx", base=3, saddr=CFG.smem_depth, src=A, vw=1, count=1),
                             CoreFault.SMEM_ADDRESS_RANGE),
    "ldx_dst_range": (w("ldx", dst=A - 1, base=3, saddr=0, vw=2), CoreFault.ADDRESS_RANGE),
    "stx_src_range": (w("stx", base=3, saddr=0, src=A - 1, vw=2, count=1), CoreFault.ADDRESS_RANGE),
    "pc_runs_off": ("nop\nnop", CoreFault.PC_RANGE),
    "jump_outside": (w("jmp", target=100), CoreFault.PC_RANGE),
    "mcu_missing": (f".word {(BY_MNEMONIC['mcu'].opcode << OPCODE_LSB) | (1 << 3 * CFG.mcus_per_core)}",
                    CoreFault.NO_SUCH_MCU),
    "crs_missing": (f".word {(BY_MNEMONIC['crs'].opcode << OPCODE_LSB) | (1 << CFG.mcus_per_core)}",
                    CoreFault.NO_SUCH_MCU),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fault(name):
    text, code = CASES[name]
    rtl, gold = _run("set 3, 9\n" + text + "\nhlt" * (name not in ("pc_runs_off",)))
    assert gold["fault_code"] == code
    assert rtl["status"] == "error" and rtl["fault_code"] == int(code)


def test_alu_overflow_before_destination_fault():
    """The golden model sets the overflow flag before it finds the destination out of range."""
    rtl, gold = _run(".data 0, 7.5, 7.5\n" + w("alu", fn="add", dst=A - 1, src1=0, src2=1, vw=2)
                     + "\nhlt")
    assert gold["fault_code"] == CoreFault.ADDRESS_RANGE and rtl["overflow"] == gold["overflow"]


@pytest.mark.parametrize("variant", [1, 2])
def test_deferred_overflow(variant):
    """Variants 1-2: a fourth deferred update finds no slot in the core's OPA region."""
    cfg = CFG.replace(variant=variant, deferred_depth=3)
    rtl, gold = _run("mcu 0:opa, 1:opa\ncrs 1\ncrs 2\nhlt", config=cfg)
    assert gold["fault_code"] == CoreFault.DEFERRED_OVERFLOW
    assert rtl["fault_code"] == int(CoreFault.DEFERRED_OVERFLOW)


def test_variant3_has_no_deferred_cap():
    """Variant 3 applies OPA and CRS eagerly to its third copy: deferred_depth does not cap
    them, nothing is pending, and the run halts with the committed weights."""
    cfg = CFG.replace(variant=3, deferred_depth=1)
    rtl, gold = _run(".data xin0, 0.5, -0.25\n.data xout0, 0.125\n"
                     "mcu 0:opa, 1:opa\ncrs 1\nmcu 0:opa\ncrs 2\nhlt", config=cfg)
    assert gold["status"] == rtl["status"] == "halted"
    assert gold["pending_updates"] == rtl["deferred"] == 0
    # two OPAs on MCU 0: W[i, 0] = 2 * x_i * v_0 in Q8.24 (x = 2048, -1024; v = 512 raw)
    weights = np.array(gold["mcus"][0]["weights"])
    assert weights[0, 0] == 2 * 2048 * 512 and weights[1, 0] == -2 * 1024 * 512


def test_ldx_base_outside_a_small_address_space():
    """A base past addr_space (possible below 64 words) faults before anything is read."""
    tiny = PRESETS["small"].replace(xbar_size=4, mcus_per_core=1, adcs_per_xbar=4, rf_depth=16,
                                    smem_depth=1024, cores_per_tile=1, deferred_depth=4)
    assert tiny.addr_space < 40
    rtl, gold = _run(w("ldx", dst=0, base=40, saddr=0, vw=1) + "\nhlt", config=tiny)
    assert gold["fault_code"] == CoreFault.ADDRESS_RANGE
    assert rtl["status"] == "error" and rtl["fault_code"] == int(CoreFault.ADDRESS_RANGE)


def test_stx_up_to_the_last_user_word():
    """The effective-address check at its boundary: M[3] = 9, ``9 + saddr + vw`` equal to
    ``smem_user_depth`` fits (one word more is ``ldx_smem_range``'s fault)."""
    text = "set 3, 9\n" + w("stx", base=3, saddr=CFG.smem_user_depth - 11, src=0, vw=2, count=1)
    rtl, gold = _run(text + "\nhlt")
    assert gold["status"] == rtl["status"] == "halted"


@pytest.mark.parametrize("mnemonic", ["ldx", "stx"])
def test_faulting_ldx_stx_reads_nothing(mnemonic):
    """An ldx/stx that faults at dispatch (here a reserved bit: illegal) reads no operand:
    the execute stage's dispatch read is gated by the fault (docs/synthesis.md "dsport").
    ``compare`` checks the events of halted runs only, so the read count is checked here."""
    spec = BY_MNEMONIC[mnemonic]
    fields = {"ldx": dict(dst=0, base=3, saddr=0, vw=1),
              "stx": dict(base=3, saddr=0, src=0, vw=1, count=1)}[mnemonic]
    word = encode(make(mnemonic, **fields)) | (spec.reserved_mask & -spec.reserved_mask)
    rtl, gold = _run(f"set 3, 9\n.word {word}\nhlt")
    assert gold["fault_code"] == CoreFault.ILLEGAL_INSTRUCTION
    assert rtl["fault_code"] == int(CoreFault.ILLEGAL_INSTRUCTION)
    assert rtl["events"]["rf_reads"] == gold["events"]["rf_reads"]


@pytest.mark.parametrize("case", ["reserved_bit", "dst_out_of_range"])
def test_faulting_set_writes_nothing(case):
    """A set that faults at dispatch writes no operand: its write is ``go & quick & set``,
    outside the dispatch chain (docs/synthesis.md "dispreq"). A reserved bit (illegal, dst 0
    in range) would change M[0] (``compare`` checks the operand space); a dst at
    ``addr_space`` changes no word but would count as a buffer write (checked here)."""
    spec = BY_MNEMONIC["set"]
    if case == "reserved_bit":
        word = encode(make("set", dst=0, imm=5)) | (spec.reserved_mask & -spec.reserved_mask)
        code = CoreFault.ILLEGAL_INSTRUCTION
    else:
        word, code = encode(make("set", dst=A, imm=5)), CoreFault.ADDRESS_RANGE
    rtl, gold = _run(f"set 0, 9\n.word {word}\nhlt")
    assert gold["fault_code"] == code and rtl["fault_code"] == int(code)
    writes = ("rf_writes", "xbar_in_writes", "xbar_out_writes")
    assert {n: rtl["events"][n] for n in writes} == {n: gold["events"].get(n, 0) for n in writes}
