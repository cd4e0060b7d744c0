// Browser uploads straight to S3 with the presigned PUT the API handed out,
// reporting progress (fetch cannot, XMLHttpRequest can).
export interface Upload {
  url: string;
  method: string;
  headers: Record<string, string>;
}

export function put(upload: Upload, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', upload.url);
    for (const [k, v] of Object.entries(upload.headers)) {
      // The browser sets the length itself and refuses to be told.
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`upload failed: ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('upload failed: the storage could not be reached'));
    xhr.send(file);
  });
}
