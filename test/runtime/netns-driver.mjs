// Coordinator side of the network-namespace test (run inside a namespace with `ip netns exec`):
// a keyed run of a plan over a hosts file with a kill -9 of one node after 40 delivered samples.
// argv: planDir hostsFile keyFile victimPid limit outFile. Prints the run report as JSON.
import process from 'node:process';
import { datasetSamples, loadHostsFile, loadRuntimePlan, runPlan } from '../../dist/runtime/index.js';
import { loadKeyFile } from '../../dist/transport/auth/key-file.js';

const [dir, hostsFile, keyFile, victim, limit, outFile] = process.argv.slice(2);
const plan = loadRuntimePlan(dir);
const samples = datasetSamples(plan, 'fashion-mnist-test', Number(limit));
let killed = false;
try {
  const { report } = await runPlan({
    plan,
    samples,
    hosts: loadHostsFile(hostsFile),
    hostsFile,
    key: loadKeyFile(keyFile),
    keyFile,
    window: 12,
    keepOutputs: false,
    keepRecords: false,
    outFile,
    log: (line) => process.stderr.write(`${line}\n`),
    onProgress: (done) => {
      if (done !== 40 || killed) return;
      killed = true;
      process.kill(Number(victim), 'SIGKILL');
      // let the kernel reset the victim's sockets before more results are read
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    },
  });
  process.stdout.write(`${JSON.stringify({ killed, ...report })}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`driver: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
