"""objectives.machine: the CPU name stored with every run and printed with every timing."""

from __future__ import annotations

from objectives.machine import cpu_name

INTEL = """processor\t: 0
vendor_id\t: GenuineIntel
model\t\t: 207
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni
processor\t: 1
model\t\t: 1
model name\t: not the first processor
"""
AMD = """processor\t: 0
model\t\t: 17
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma
"""


def test_names_the_first_processor_with_its_model_and_widest_vector_unit() -> None:
    assert cpu_name(INTEL) == "Intel(R) Xeon(R) Processor (model 207, AVX-512)"
    assert cpu_name(AMD) == "AMD EPYC 7B13 (model 17, AVX2)"


def test_a_machine_without_cpuinfo_fields_still_gets_a_name() -> None:
    name = cpu_name("processor\t: 0\n")
    assert name.endswith("(no AVX2)") and not name.startswith(" (")


def test_this_machine_has_a_name() -> None:
    assert cpu_name().strip()
