#!/usr/bin/env python3
"""A Secret Service that answers as no real one should, for the helper's tests: it owns
org.freedesktop.secrets on the session bus of its environment and answers every call the helper
makes according to MODE, until it is killed.

Usage: hostile-secret-service.py MODE READY_FILE
  wrong-types  every reply has a type other than the specification's
  huge         SearchItems answers 20 000 item paths (twice as many as the helper takes)
  odd-paths    the alias points at "/", at paths outside any collection, and at the service itself
  never        no call is ever answered
  first-alias-slash
               as GNOME Keyring can under concurrent clients: a client's first ReadAlias answers
               "/" (no such collection), later ones the collection; it holds no items
READY_FILE is written once the name is owned.
"""
import sys

from gi.repository import Gio, GLib

MODE, READY = sys.argv[1], sys.argv[2]

INTERFACES = """
<node>
  <interface name="org.freedesktop.Secret.Service">
    <method name="ReadAlias"><arg type="s" direction="in"/><arg type="o" direction="out"/></method>
    <method name="SearchItems"><arg type="a{ss}" direction="in"/>
      <arg type="ao" direction="out"/><arg type="ao" direction="out"/></method>
    <method name="OpenSession"><arg type="s" direction="in"/><arg type="v" direction="in"/>
      <arg type="v" direction="out"/><arg type="o" direction="out"/></method>
    <method name="GetSecrets"><arg type="ao" direction="in"/><arg type="o" direction="in"/>
      <arg type="a{o(oayays)}" direction="out"/></method>
    <method name="Unlock"><arg type="ao" direction="in"/>
      <arg type="ao" direction="out"/><arg type="o" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.Secret.Collection">
    <method name="SearchItems"><arg type="a{ss}" direction="in"/><arg type="ao" direction="out"/></method>
    <method name="CreateItem"><arg type="a{sv}" direction="in"/><arg type="(oayays)" direction="in"/>
      <arg type="b" direction="in"/><arg type="o" direction="out"/><arg type="o" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.Secret.Item">
    <method name="Delete"><arg type="o" direction="out"/></method>
    <method name="SetSecret"><arg type="(oayays)" direction="in"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="v" direction="out"/></method>
    <method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
    <method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="v" direction="in"/></method>
  </interface>
</node>
"""

COLLECTION = "/org/freedesktop/secrets/collection/login"
held = []  # invocations never answered, kept so that GDBus does not answer them itself
aliased = set()  # the clients that have had their first ReadAlias answer


def answer(interface, method, sender):
    """The reply to `method` of `interface` from `sender` in MODE, as (signature, value)."""
    if MODE == "wrong-types":
        # Strings where paths, booleans and arrays belong.
        return {"ReadAlias": ("(s)", ("login",)), "Get": ("(s)", ("false",)),
                "SearchItems": ("(s)", ("none",)), "OpenSession": ("(s)", ("plain",)),
                "GetAll": ("(s)", ("x",)), "GetSecrets": ("(s)", ("x",))}.get(method, ("(i)", (7,)))
    if MODE == "huge":
        paths = [f"{COLLECTION}/{index}" for index in range(20_000)]
        return {"ReadAlias": ("(o)", (COLLECTION,)), "Get": ("(v)", (GLib.Variant("b", False),)),
                "SearchItems": ("(ao)", (paths,))}.get(method, ("()", ()))
    if MODE == "odd-paths":
        return {"ReadAlias": ("(o)", ("/org/freedesktop/secrets",)),
                "Get": ("(v)", (GLib.Variant("s", "not a boolean"),)),
                "SearchItems": ("(ao)", (["/", "/org/freedesktop/secrets", "/elsewhere/item"],))}.get(
                    method, ("()", ()))
    if MODE == "first-alias-slash":
        if method == "ReadAlias":
            first = sender not in aliased
            aliased.add(sender)
            return ("(o)", ("/" if first else COLLECTION,))
        if interface == "org.freedesktop.Secret.Service" and method == "SearchItems":
            return ("(aoao)", ([], []))
        return {"Get": ("(v)", (GLib.Variant("b", False),)), "SearchItems": ("(ao)", ([],)),
                "OpenSession": ("(vo)", (GLib.Variant("s", ""), "/org/freedesktop/secrets/session/s1"))}.get(
                    method, ("()", ()))
    raise SystemExit(f"unknown mode {MODE}")


def on_call(connection, sender, path, interface, method, parameters, invocation):
    if MODE == "never":
        held.append(invocation)
        return
    signature, value = answer(interface, method, sender)
    # Sent as a message of its own: GDBus would refuse to return a value whose type is not the
    # one declared, which is the point here.
    reply = Gio.DBusMessage.new_method_reply(invocation.get_message())
    reply.set_body(GLib.Variant(signature, value))
    connection.send_message(reply, Gio.DBusSendMessageFlags.NONE)
    held.append(invocation)


def on_bus(connection, name):
    info = Gio.DBusNodeInfo.new_for_xml(INTERFACES)
    for path in ("/org/freedesktop/secrets", "/org/freedesktop/secrets/aliases/default", COLLECTION):
        for interface in info.interfaces:
            connection.register_object(path, interface, on_call, None, None)


def on_name(connection, name):
    with open(READY, "w") as ready:
        ready.write("ready\n")


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.secrets", Gio.BusNameOwnerFlags.NONE,
                 on_bus, on_name, lambda *_: sys.exit("lost the name"))
GLib.MainLoop().run()
