/**
 * The one way a user's file is rewritten (`lint --fix --write`): the new bytes go to a temporary
 * file in the same directory, are flushed to disk, take the original's mode and owner, and replace
 * the original by rename. Killed at any moment, the file is the original or the new one, never a
 * truncated mix; a write that fails (a full disk, a read-only directory) leaves the original whole.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, fchmodSync, fchownSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { guardError } from '../errors.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOENT') return 'no such file or directory';
  return code ?? (e instanceof Error ? e.message.split('\n')[0] ?? 'failed' : String(e));
}

/**
 * Whether `path` may be rewritten, as a reason when not. A file without any write permission bit
 * is read-only by its owner's choice: it is refused even for root, whom the rename would not stop.
 */
export function unwritableReason(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    const st = statSync(real);
    if (!st.isFile()) return 'not a regular file';
    if ((st.mode & 0o222) === 0) return 'the file is read-only';
    return undefined;
  } catch (e) {
    return reason(e);
  }
}

/** Replace the file at `path` (following a symbolic link to the real file) with `data`, atomically. */
export function writeFileAtomic(path: string, data: Uint8Array, display: string = path): void {
  let target: string;
  let mode: number;
  let uid: number;
  let gid: number;
  try {
    target = realpathSync(path);
    const st = statSync(target);
    mode = st.mode & 0o7777;
    uid = st.uid;
    gid = st.gid;
  } catch (e) {
    throw guardError('LCG_OUTPUT_UNWRITABLE', `cannot write ${display}: ${reason(e)}`);
  }
  const dir = dirname(target);
  // a dot file: lint's directory walk skips it, should one ever be left behind by a power cut
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.lcg-tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fchmodSync(fd, mode);
    try {
      fchownSync(fd, uid, gid);
    } catch {
      // not permitted for a non-root user on someone else's file: the mode is kept, the owner is ours
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failed; the original is what matters
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw guardError('LCG_OUTPUT_UNWRITABLE', `cannot write ${display}: ${reason(e)}; the file is unchanged`);
  }
  // the rename is durable once the directory is flushed too
  try {
    const dfd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some file systems refuse fsync on a directory; the data itself is already on disk
  }
}
