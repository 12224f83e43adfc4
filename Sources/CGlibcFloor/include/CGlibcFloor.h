#ifndef ACR_CGLIBCFLOOR_H
#define ACR_CGLIBCFLOOR_H

// Nothing to call: this target only defines, for the link, two glibc functions newer than the
// floor the release binary keeps (see glibc-floor.c).

#endif
