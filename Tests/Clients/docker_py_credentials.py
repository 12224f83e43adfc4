"""The `docker` package from PyPI driving the helper: store, get, list, erase, and not-found after.

docker-py recognises "nothing stored" only by the helper's exact stdout text with a non-zero exit,
so this fails if that text changes by one byte. Usage: docker_py_credentials.py SERVER USER SECRET
"""

import sys

from docker.credentials import CredentialsNotFound, Store


def main(server: str, username: str, secret: str) -> None:
    store = Store("acr-helper")  # runs docker-credential-acr-helper from PATH

    store.store(server=server, username=username, secret=secret)
    got = store.get(server)
    assert got == {"ServerURL": server, "Username": username, "Secret": secret}, got

    listed = store.list()
    assert listed.get(server) == username, listed

    store.erase(server)
    try:
        store.get(server)
    except CredentialsNotFound:
        pass
    else:
        raise AssertionError("get after erase did not raise CredentialsNotFound")
    assert server not in store.list()
    print("docker-py round trip ok")


if __name__ == "__main__":
    main(*sys.argv[1:4])
