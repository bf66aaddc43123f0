"""The compile report: what a kernel uses of the tile, as text and as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

__all__ = ["CompileReport"]


@dataclass
class CompileReport:
    """Figures of one compiled kernel (all plain JSON data).

    Members
    -------
    model : str
    config : dict
        ``PantherConfig.to_dict()``.
    algorithm : str
    batch : int
    lr : float
        The model's learning rate; ``lr_word`` is ``-(lr/batch)`` as the raw data word the
        OPAs' column inputs are multiplied by.
    lr_word : int
    layers : list of dict
        Per layer: ``in``, ``out``, ``activation``, ``row_blocks``, ``col_blocks``, and
        ``blocks``: ``[bi, bj, core, mcu, rows, cols]`` each; in a conv network also
        ``type``, ``in_shape``, ``out_shape`` and, for conv2d/dense, ``positions`` (the
        iterations of §5.4), ``rows``, ``cols`` (and ``kernel``, ``stride``, ``padding``).
    mcus, cores : int
        MCUs and cores used (of one tile).
    tiles : int
    instructions : list of int
        Per core of the tile (0 for an idle core), ``hlt`` included.
    mcu_operations : int
        MVM, MTVM and OPA operations of the kernel.
    mcu_instructions : int
        ``mcu`` instructions they were emitted as.
    fused_operations : int
        Operations that share an ``mcu`` instruction with another one
        (``mcu_operations - mcu_instructions`` of them were saved).
    deferred : list of int
        Per core, OPAs and CRSs deferred to ``hlt`` (at most ``deferred_depth``).
    registers : list of int
        Per core, peak register-file words.
    smem_words : int
        Shared-memory words the kernel uses (samples, targets, outputs and transfers).
    smem_layout : dict
        ``inputs``, ``targets``, ``outputs`` base addresses and ``transfers_base`` (and
        ``input_grads`` for a kernel compiled with ``model.input_gradient``).
    transfers : int
        Vectors sent between cores through shared memory.
    spills : int
        Values spilled to shared memory by the register allocator (a store and a reload each).
    crs : bool
        Whether the kernel ends with a carry resolution step.
    loop : str
        ``'unrolled'`` (the batch as the Table 2 software pipeline, straight-line code) or
        ``'rolled'`` (a loop over the samples: ``ldx``/``stx`` through pointer registers, an
        ``alu_int`` counter and a branch; one sample per iteration).
    loop_body : list of int
        Rolled: per core, the instructions of the loop body (loop control included); else [].
    unrolled_error : str or None
        Why ``compile_model(loop='auto')`` rolled the batch (the unrolled kernel's error).
    compile_seconds : float
    noc_transfers, noc_words : int
        Vectors (and their words) sent between tiles over the network in one kernel
        invocation (``send``/``recv`` pairs).
    noc_flits, noc_flit_hops : int
        Their flits and flit-hops (``config.noc_flits``, ``config.noc_hops``).
    smem_words_per_tile : list of int
        Shared-memory words used on each tile (``smem_words`` is the largest).

    ``mcu_operations``, ``mcu_instructions`` and ``fused_operations`` count executed
    operations (a rolled body counts once per sample). With several tiles, ``instructions``,
    ``deferred`` and ``registers`` list every core of tile 0, then of tile 1, ..., and each
    block of ``layers[].blocks`` ends with its tile.
    """

    model: str
    config: dict
    algorithm: str
    batch: int
    lr: float
    lr_word: int
    layers: list
    mcus: int
    cores: int
    tiles: int
    instructions: list
    mcu_operations: int
    mcu_instructions: int
    fused_operations: int
    deferred: list
    registers: list
    smem_words: int
    smem_layout: dict
    transfers: int
    spills: int
    crs: bool
    loop: str
    loop_body: list
    unrolled_error: str
    compile_seconds: float
    noc_transfers: int = 0
    noc_words: int = 0
    noc_flits: int = 0
    noc_flit_hops: int = 0
    smem_words_per_tile: list = None

    def to_dict(self):
        return asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def _loop_text(self):
        if self.loop == "unrolled":
            return f"batch unrolled ({self.batch} sample{'s' if self.batch > 1 else ''}, straight-line code)"
        text = (f"batch rolled into a loop of {self.batch} iteration{'s' if self.batch != 1 else ''} (loop body "
                f"{', '.join(str(n) for n in self.loop_body)} instructions per core)")
        if self.unrolled_error:
            text += f"; unrolled: {self.unrolled_error}"
        return text

    def format(self):
        """Readable text of the report."""
        c = self.config
        lines = [f"{self.model}: {self.algorithm}, batch {self.batch}, lr {self.lr:g} "
                 f"(column scale word {self.lr_word}), {'with' if self.crs else 'no'} CRS",
                 f"configuration: {c['cores_per_tile']} cores x {c['mcus_per_core']} MCUs, "
                 f"{c['xbar_size']}x{c['xbar_size']} crossbars, variant {c['variant']}, "
                 f"imem {c['imem_depth']}, rf {c['rf_depth']}",
                 f"uses {self.mcus} MCUs on {self.cores} cores of {self.tiles} "
                 f"tile{'s' if self.tiles > 1 else ''}",
                 ""]
        for index, layer in enumerate(self.layers):
            placed = ", ".join(f"({b[0]},{b[1]})->" + (f"t{b[6]}" if len(b) > 6 else "")
                               + f"c{b[2]}m{b[3]}" for b in layer["blocks"])
            kind = layer.get("type", "dense")
            if kind != "dense" or "in_shape" in layer:      # a conv network: map shapes
                shapes = [layer["in_shape"], layer["out_shape"]]
                what = " -> ".join("x".join(map(str, shape)) for shape in shapes)
                if not layer["blocks"]:
                    lines.append(f"  layer {index}: {kind} {what}")
                    continue
                lines.append(f"  layer {index}: {kind} {what} {layer['activation']}, "
                             f"{layer['positions']} positions, {layer['row_blocks']}x"
                             f"{layer['col_blocks']} blocks: {placed}")
                continue
            lines.append(f"  layer {index}: {layer['in']} -> {layer['out']} {layer['activation']}, "
                         f"{layer['row_blocks']}x{layer['col_blocks']} blocks: {placed}")
        lines.append("")
        per_tile = c["cores_per_tile"]
        if self.tiles > 1:
            lines.append("  tile  core  instructions  deferred  registers")
        else:
            lines.append("  core  instructions  deferred  registers")
        for core in range(self.cores):
            where = (f"  {core // per_tile:4d}  {core % per_tile:4d}" if self.tiles > 1
                     else f"  {core:4d}")
            lines.append(f"{where}  {self.instructions[core]:12d}  {self.deferred[core]:8d}  "
                         f"{self.registers[core]:9d}")
        lines += ["",
                  f"MCU operations: {self.mcu_operations} in {self.mcu_instructions} mcu "
                  f"instructions ({self.fused_operations} operations fused)",
                  f"shared memory: {self.smem_words} words (of {c['smem_depth']}; samples at "
                  f"{self.smem_layout['inputs']}, targets at {self.smem_layout['targets']}, outputs "
                  f"at {self.smem_layout['outputs']}), {self.transfers} transfers, "
                  f"{self.spills} register spills",
                  self._loop_text()]
        if self.tiles > 1:
            lines.append(f"network per step: {self.noc_transfers} vectors, {self.noc_words} words, "
                         f"{self.noc_flits} flits, {self.noc_flit_hops} flit-hops (shared memory "
                         f"per tile: {self.smem_words_per_tile} words)")
        lines.append(f"compiled in {self.compile_seconds * 1000:.0f} ms")
        return "\n".join(lines)
