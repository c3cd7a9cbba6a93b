#!/usr/bin/python3
"""An RTSP server for Lookout's integration tests (GStreamer's gst-rtsp-server through PyGObject).

Serves H.264 mp4 clips, one mount per clip, on a loopback port, optionally behind HTTP basic auth. Each client gets
its own pipeline, so a stream always starts at the clip's first (key) frame and is paced in real time by the clock.

    rtsp-server.py --port 8554 --mount cam=/tmp/clip.mp4 [--mount yard=/tmp/b.mp4] [--user U --password P]

It prints one line per event on stdout, which the Node helper reads:
    READY <port>          listening
    CLIENT                a client connected (TCP)
    MEDIA <mount>         a client's pipeline was built (it passed auth and asked for an existing mount)
    STALLED <n>           answer to `stall`: n running pipelines stopped sending frames
and reads commands on stdin, one per line:
    stall                 every running pipeline stops sending frames while the RTSP session stays open (a valve
                          drops the video); pipelines of later clients are not affected
    quit                  stop
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def say(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--mount', action='append', default=[], help='NAME=CLIP.mp4')
    parser.add_argument('--user')
    parser.add_argument('--password')
    args = parser.parse_args()

    Gst.init(None)
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    medias = []

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'user')
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ''), token)
        server.set_auth(auth)

    mounts = server.get_mount_points()
    for spec in args.mount:
        name, _, clip = spec.partition('=')
        factory = GstRtspServer.RTSPMediaFactory()
        # Gst's launch syntax: quote the path so spaces survive
        factory.set_launch(
            '( filesrc location="%s" ! qtdemux ! h264parse config-interval=-1 ! valve name=valve drop=false '
            '! rtph264pay name=pay0 pt=96 config-interval=-1 )' % clip.replace('"', '\\"')
        )
        factory.set_shared(False)
        if args.user is not None:
            role = Gst.Structure.new_from_string(
                'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true'
            )
            factory.add_role_from_structure(role)

        def on_configure(_factory, media, mount=name):
            medias.append(media)
            media.connect('unprepared', lambda m: medias.remove(m) if m in medias else None)
            say('MEDIA ' + mount)

        factory.connect('media-configure', on_configure)
        mounts.add_factory('/' + name, factory)

    server.connect('client-connected', lambda _s, _c: say('CLIENT'))

    if server.attach(None) == 0:
        sys.stderr.write('cannot listen on %s:%d\n' % (args.host, args.port))
        sys.exit(1)

    def on_stdin(source, _condition):
        line = source.readline()
        if line == '':  # the test process is gone: nobody will stop us otherwise
            loop.quit()
            return False
        command = line.strip()
        if command == 'stall':
            n = 0
            for media in list(medias):
                valve = media.get_element().get_by_name('valve')
                if valve is not None:
                    valve.set_property('drop', True)
                    n += 1
            say('STALLED %d' % n)
        elif command == 'quit':
            loop.quit()
            return False
        return True

    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP, on_stdin)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: loop.quit() or False)
    say('READY %d' % args.port)
    loop.run()


if __name__ == '__main__':
    main()
