// Early write-back for the shard writer: once a batch of whole chunks is in the page cache, ask the
// kernel to start writing it to the disk now, so that the fsync at commit waits only for what is left.

#define _GNU_SOURCE
#include "CHDF5Shim.h"

#include <fcntl.h>

int tagood_start_writeback(hid_t file) {
    void *handle = NULL;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == NULL) return -1;
    int fd = *(int *)handle;  // the sec2 (POSIX) driver's handle is its file descriptor
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}
