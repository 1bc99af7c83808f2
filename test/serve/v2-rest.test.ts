import { runV2Contract } from './v2.contract.js';

runV2Contract('REST (HTTP/1.1)', (s) => s.url);
