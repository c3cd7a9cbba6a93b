// ffprobe read to the end of a file: its duration, packets counted (a truncated or broken file fails or comes up short).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedVideo {
  duration: number;
  frames: number;
  codec: string;
}

export async function probeToEnd(path: string): Promise<ProbedVideo> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { streams: { codec_name: string; nb_read_packets: string }[]; format: { duration: string } };
  return { duration: Number(j.format.duration), frames: Number(j.streams[0].nb_read_packets), codec: j.streams[0].codec_name };
}
