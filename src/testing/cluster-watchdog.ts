/**
 * Runs detached next to a disposable cluster. When the process that started the cluster is gone
 * (a crashed or killed test run), it stops the server and deletes its files.
 * argv: parentPid pgCtl dataDir root [uid:gid]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const [parentPid, pgCtl, dataDir, root, owner] = process.argv.slice(2);
const [uid, gid] = (owner ?? '').split(':').map(Number);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const timer = setInterval(() => {
  if (alive(Number(parentPid))) return;
  clearInterval(timer);
  spawnSync(pgCtl!, ['stop', '-D', dataDir!, '-m', 'immediate', '-w'], {
    stdio: 'ignore',
    ...(uid && gid ? { uid, gid } : {}),
  });
  rmSync(root!, { recursive: true, force: true });
  process.exit(0);
}, 1000);
