"""Generate Python messages, gRPC stubs and .pyi stubs from protos/ into one package folder."""

import argparse
import pathlib
import shutil
import site
import sys

from grpc_tools import protoc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--protos", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    out: pathlib.Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
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
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *sources,
    ]
    if protoc.main(command) != 0:
        raise SystemExit("protoc failed")
    # Make the generated package importable from the virtualenv.
    site_packages = pathlib.Path(site.getsitepackages()[0])
    (site_packages / "billing_generated.pth").write_text(f"{out}\n")


if __name__ == "__main__":
    main()
