"""An installer's check with python-tuf (pip install tuf) against a tuf-edge repository.

    python3 python_tuf_client.py https://tuf.example.org 1.root.json packages/ab/cd/0123/example-1.0-py3-none-any.whl

The trusted root (1.root.json) comes from the key ceremony, out of band: never from the server it
is meant to check. python-tuf follows the root chain, then timestamp, snapshot, targets and the
hashed bin that lists the path (TAP 15 succinct delegation), and checks every signature, threshold,
version, length and hash. The download itself is a 302 from /targets/ to the file host
(FILES_BASE_URL); python-tuf checks the bytes it gets against the signed length and hashes.
"""

import os
import shutil
import sys

from tuf.ngclient import Updater


def main(base_url: str, trusted_root: str, target_path: str) -> int:
    metadata_dir = "tuf-metadata"
    os.makedirs(metadata_dir, exist_ok=True)
    if not os.path.exists(os.path.join(metadata_dir, "root.json")):
        shutil.copy(trusted_root, os.path.join(metadata_dir, "root.json"))
    os.makedirs("downloads", exist_ok=True)
    updater = Updater(
        metadata_dir=metadata_dir,
        metadata_base_url=f"{base_url}/metadata/",
        target_dir="downloads",
        target_base_url=f"{base_url}/targets/",
    )
    updater.refresh()
    info = updater.get_targetinfo(target_path)
    if info is None:
        print(f"{target_path} is not published", file=sys.stderr)
        return 1
    print(updater.find_cached_target(info) or updater.download_target(info))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
