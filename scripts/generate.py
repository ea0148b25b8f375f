"""Generate Python messages, gRPC stubs and .pyi stubs from protos/ into one package folder."""

import argparse
import os
import pathlib
import shutil
import site
import sys
import tempfile

from grpc_tools import protoc

DESCRIPTOR_SET = "descriptors.binpb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--protos", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    final: pathlib.Path = args.out.resolve()
    out = pathlib.Path(tempfile.mkdtemp(prefix=".gen-", dir=final.parent))
    (out / "billing").mkdir()
    sources = sorted(str(p) for p in (args.protos / "billing").rglob("*.proto"))
    well_known = pathlib.Path(protoc.__file__).parent / "_proto"
    bin_dir = pathlib.Path(sys.executable).parent
    command = [
        "grpc_tools.protoc",
        f"-I{args.protos}",
        f"-I{args.protos / 'third_party'}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        "--mypy_opt=quiet",
        "--mypy_grpc_opt=quiet",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        # The contracts' comments, for the gateway's OpenAPI descriptions.
        f"--descriptor_set_out={out / 'billing' / DESCRIPTOR_SET}",
        "--include_source_info",
        *sources,
    ]
    if protoc.main(command) != 0:
        shutil.rmtree(out)
        raise SystemExit("protoc failed")
    _swap_in(out, final)
    # Make the generated package importable from the virtualenv.
    site_packages = pathlib.Path(site.getsitepackages()[0])
    (site_packages / "billing_generated.pth").write_text(f"{final}\n")


def _swap_in(fresh: pathlib.Path, final: pathlib.Path) -> None:
    """Replace the generated tree file by file, so running imports never see it empty."""
    final.mkdir(exist_ok=True)
    new_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    for old in [p for p in final.rglob("*") if p.is_file()]:
        if old.relative_to(final) not in new_files:
            old.unlink()
    for relative in sorted(new_files):
        target = final / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fresh / relative, target)
    shutil.rmtree(fresh)


if __name__ == "__main__":
    main()
