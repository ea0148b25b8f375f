"""Copy google/api/*.proto from the installed googleapis-common-protos into a folder."""

import argparse
import pathlib
import shutil

import google.api

FILES = ("annotations.proto", "field_behavior.proto", "http.proto", "httpbody.proto")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=pathlib.Path)
    dest = parser.parse_args().dest / "google" / "api"
    dest.mkdir(parents=True, exist_ok=True)
    source = pathlib.Path(next(iter(google.api.__path__)))
    for name in FILES:
        shutil.copyfile(source / name, dest / name)


if __name__ == "__main__":
    main()
