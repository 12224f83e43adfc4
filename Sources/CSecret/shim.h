// libsecret and GLib for the SecretStore module. Only non-variadic libsecret calls are used
// (Swift cannot call C variadic functions), so no wrappers are needed here.
//
// secret_collection_new_for_dbus_path_sync lives in libsecret's "unstable" header (unchanged since
// 0.7): it opens one collection without loading every item of every collection, which is what
// secret_service_load_collections_sync would do to find a collection by its label.
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>
