/* Whose a kuryr object is, for the listings: an object no Docker object on this host claims is an orphan
 * only when this host owns it; another host's object is listed under that host's name. */
#ifndef KC_OWNERSHIP_H
#define KC_OWNERSHIP_H

#include "kuryr/neutron.h"

/* The other host an object belongs to, or NULL when it is this host's. A port bound to another host
 * (bound_host, its binding:host_id; may be NULL or "") is that host's. Otherwise an object whose host
 * markers (kuryr.host:<host>, kuryr/owner.h) all name other hosts is the first one's. An object bound here,
 * carrying this host's marker, or carrying no marker at all (made by upstream Python kuryr or an older
 * release, as kuryrctl gc judges it too) is this host's. The result points into tags or bound_host. */
const char *kc_other_owner(const kuryr_strv *tags, const char *bound_host, const char *this_host);

#endif
