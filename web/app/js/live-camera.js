// live-camera.js - the camera for the live coach page (getUserMedia), with clear messages.
//
// Owner: live page. Errors: openCamera() rejects with a CameraError whose .message is a sentence
// for the user and .kind one of 'unsupported' | 'denied' | 'no_camera' | 'busy' | 'failed'.
// Not thread-safe (there is one page thread); one camera stream at a time per Camera object.

export class CameraError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'CameraError';
    this.kind = kind;
  }
}

// Map a getUserMedia failure to a CameraError a person can act on.
export function cameraErrorFrom(e) {
  const name = e && e.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return new CameraError('denied', 'Camera access was denied. Allow the camera for this site in the browser settings, then press Start again.');
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return new CameraError('no_camera', 'No camera was found on this device.');
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return new CameraError('busy', 'The camera is in use by another application or could not be started.');
  }
  return new CameraError('failed', `The camera could not be opened (${name || (e && e.message) || 'unknown error'}).`);
}

export class Camera {
  // video: the <video> element that shows the stream.
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.facing = 'user';
  }

  static supported() {
    return !!(typeof navigator !== 'undefined' && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  // Resolves when the video plays with known dimensions.
  async open({ facing = this.facing, width = 640, height = 480 } = {}) {
    if (!Camera.supported()) {
      throw new CameraError('unsupported', 'This browser cannot use a camera here (a camera needs https or localhost and a recent browser).');
    }
    this.close();
    this.facing = facing;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: facing, width: { ideal: width }, height: { ideal: height } },
      });
    } catch (e) {
      throw cameraErrorFrom(e);
    }
    this.stream = stream;
    const v = this.video;
    v.srcObject = stream;
    v.muted = true;
    v.playsInline = true;
    await new Promise((resolve, reject) => {
      if (v.readyState >= 2 && v.videoWidth > 0) { resolve(); return; }
      const to = setTimeout(() => reject(new CameraError('failed', 'The camera opened but sent no picture.')), 10000);
      v.addEventListener('loadeddata', () => { clearTimeout(to); resolve(); }, { once: true });
    });
    try {
      await v.play();
    } catch (e) {
      this.close();
      throw new CameraError('failed', `The camera picture could not be played (${e.name || e.message}).`);
    }
    return { width: v.videoWidth, height: v.videoHeight };
  }

  isOpen() {
    return !!this.stream;
  }

  // Number of video inputs (0 when unknown); used to show the front/back toggle on phones.
  static async count() {
    try {
      const list = await navigator.mediaDevices.enumerateDevices();
      return list.filter((d) => d.kind === 'videoinput').length;
    } catch {
      return 0;
    }
  }

  close() {
    if (this.stream) {
      for (const t of this.stream.getTracks()) t.stop();
      this.stream = null;
    }
    if (this.video) this.video.srcObject = null;
  }
}
