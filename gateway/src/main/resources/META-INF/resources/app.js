// The gateway's web page: submits a job (POST /v1/jobs), follows its Server-Sent Events
// (GET /v1/jobs/{id}/events) and shows progress, previews and the images. The events are read
// with fetch() rather than EventSource, because EventSource cannot send the Authorization header
// that a gateway with API keys requires on every /v1 call. Result images (/v1/images/results/...)
// need no key, so plain <img> elements load them.
(() => {
    'use strict';

    const KEY_STORAGE = 'unclip.apiKey';
    const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
    const MAX_FAILURES = 5; // event stream failures in a row before giving up
    const QUEUE_POLL_MS = 1000;

    const $ = (id) => document.getElementById(id);
    const el = {
        form: $('form'),
        prompt: $('prompt'),
        n: $('n'),
        size: $('size'),
        seed: $('seed'),
        priorGuidance: $('prior-guidance'),
        decoderGuidance: $('decoder-guidance'),
        generate: $('generate'),
        cancel: $('cancel'),
        key: $('api-key'),
        keyPanel: $('key-panel'),
        keySummary: $('key-summary'),
        status: $('status'),
        progress: $('progress'),
        progressLabel: $('progress-label'),
        error: $('error'),
        preview: $('preview'),
        previewEmpty: $('preview-empty'),
        previewCaption: $('preview-caption'),
        gallery: $('gallery'),
        galleryEmpty: $('gallery-empty'),
    };

    /** The job being followed, or null. */
    let current = null;

    // ------------------------------------------------------------------ API key

    function storedKey() {
        try {
            return localStorage.getItem(KEY_STORAGE) || '';
        } catch (e) {
            return '';
        }
    }

    function storeKey(value) {
        try {
            if (value) {
                localStorage.setItem(KEY_STORAGE, value);
            } else {
                localStorage.removeItem(KEY_STORAGE);
            }
        } catch (e) {
            // Storage may be disabled; the key then lasts as long as the page.
        }
    }

    function showKeyState() {
        el.keySummary.textContent = el.key.value.trim() ? 'API key (set)' : 'API key';
    }

    function authHeaders() {
        const key = el.key.value.trim();
        return key ? {Authorization: 'Bearer ' + key} : {};
    }

    // ------------------------------------------------------------------ HTTP

    /** An error the API answered (OpenAI shape) or a failure to reach it. */
    class ApiError extends Error {
        constructor(message, status, code) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    async function errorOf(response) {
        let message = null;
        let code = null;
        try {
            const body = await response.json();
            if (body && body.error && typeof body.error.message === 'string') {
                message = body.error.message;
                code = body.error.code || null;
            }
        } catch (e) {
            // Not JSON: fall back to the status line.
        }
        const status = response.status;
        return new ApiError(message || `The gateway answered ${status} ${response.statusText}`.trim(), status, code);
    }

    async function api(method, path, body) {
        const headers = {Accept: 'application/json', ...authHeaders()};
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }
        let response;
        try {
            response = await fetch(path, {method, headers, body, cache: 'no-store'});
        } catch (e) {
            throw new ApiError('Could not reach the gateway: ' + e.message, 0, null);
        }
        if (!response.ok) {
            throw await errorOf(response);
        }
        return response.json();
    }

    // ------------------------------------------------------------------ the request

    function checkedPreset() {
        const checked = el.form.querySelector('input[name="preset"]:checked');
        return checked ? checked.value : '';
    }

    /**
     * The JSON body of POST /v1/jobs. Fields left empty are omitted (the gateway's defaults apply);
     * everything else is sent as typed and checked by the gateway, whose message is shown. The seed
     * is a 64-bit integer, so its digits go into the JSON as they are (a JavaScript number would
     * round seeds beyond 2^53).
     */
    function requestBody() {
        const body = {prompt: el.prompt.value};
        const n = el.n.value.trim();
        if (n !== '') {
            body.n = Number(n);
        }
        body.size = el.size.value;
        const preset = checkedPreset();
        if (preset) {
            body.preset = preset;
        }
        for (const [input, field] of [[el.priorGuidance, 'prior_guidance_scale'], [el.decoderGuidance, 'decoder_guidance_scale']]) {
            if (input.value.trim() !== '') {
                body[field] = Number(input.value);
            }
        }
        let json = JSON.stringify(body);
        const seed = el.seed.value.trim();
        if (seed !== '') {
            const literal = /^-?\d{1,30}$/.test(seed) ? seed : JSON.stringify(seed);
            json = json.slice(0, -1) + ',"seed":' + literal + '}';
        }
        return json;
    }

    // ------------------------------------------------------------------ what the page shows

    function setStatus(text) {
        el.status.textContent = text;
    }

    function showError(error) {
        el.error.textContent = '';
        const message = document.createElement('p');
        message.textContent = error.message;
        el.error.appendChild(message);
        if (error.status === 401) {
            const hint = document.createElement('p');
            hint.textContent = 'This gateway needs an API key: enter it under “API key” at the top.';
            el.error.appendChild(hint);
            el.keyPanel.open = true;
        }
    }

    function clearError() {
        el.error.textContent = '';
    }

    function setBusy(busy) {
        el.generate.disabled = busy;
        el.cancel.disabled = !busy;
        el.form.setAttribute('aria-busy', busy ? 'true' : 'false');
    }

    function stageName(stage) {
        switch (stage) {
            case 'text-encoder':
                return 'Encoding the prompt';
            case 'image-encoder':
                return 'Encoding the image';
            case 'prior':
                return 'Prior';
            case 'decoder':
                return 'Decoder';
            default: {
                const upsampler = /^upsampler-(\d+)$/.exec(stage || '');
                return upsampler ? 'Upsampler ' + upsampler[1] : String(stage || 'Working');
            }
        }
    }

    function showIndeterminate(label) {
        el.progress.removeAttribute('value');
        el.progressLabel.textContent = label;
    }

    function showProgress(value, label) {
        el.progress.value = Math.max(0, Math.min(1, value));
        el.progressLabel.textContent = label;
    }

    function showStep(data) {
        const name = stageName(data.stage);
        const total = Number(data.total_steps) || 0;
        const step = Number(data.step) || 0;
        if (total > 0) {
            showProgress(step / total, `${name} · step ${step} of ${total}`);
        } else {
            showIndeterminate(name + '…');
        }
    }

    function resetPreview() {
        el.preview.hidden = true;
        el.preview.removeAttribute('src');
        el.preview.alt = '';
        el.previewEmpty.hidden = false;
        el.previewCaption.textContent = 'Live preview';
    }

    function showPreview(data) {
        if (typeof data.png !== 'string' || data.png === '') {
            return;
        }
        el.preview.src = 'data:image/png;base64,' + data.png;
        el.preview.alt = `Preview of the first image at ${stageName(data.stage).toLowerCase()} step ${data.step} of ${data.total_steps}`;
        el.preview.hidden = false;
        el.previewEmpty.hidden = true;
        el.previewCaption.textContent = `Live preview · ${stageName(data.stage)} step ${data.step} of ${data.total_steps}`;
    }

    function seconds(job) {
        return ((performance.now() - job.startedAt) / 1000).toFixed(1) + ' s';
    }

    /**
     * API paths are relative to the page, so the page also works behind a proxy that serves the
     * gateway under a path prefix; image paths in events (/v1/images/...) are made relative too.
     */
    function relative(url) {
        return typeof url === 'string' && url.startsWith('/v1/') ? url.slice(1) : url;
    }

    function addResults(job, images) {
        const group = document.createElement('section');
        group.className = 'result';
        group.dataset.job = job.id;
        const title = document.createElement('h3');
        title.textContent = job.prompt;
        const meta = document.createElement('p');
        meta.className = 'meta';
        meta.textContent = `${images.length} ${images.length === 1 ? 'image' : 'images'} · ${job.size.replace('x', ' × ')} · ${seconds(job)}`;
        const list = document.createElement('ul');
        list.className = 'images';
        images.forEach((image, i) => {
            const item = document.createElement('li');
            const figure = document.createElement('figure');
            const link = document.createElement('a');
            const url = relative(image.url);
            link.href = url;
            link.target = '_blank';
            link.rel = 'noopener';
            const img = document.createElement('img');
            img.src = url;
            img.alt = `Image ${i + 1} of ${images.length} for “${job.prompt}”, seed ${image.seed}`;
            const [w, h] = job.size.split('x').map(Number);
            if (w > 0 && h > 0) {
                img.width = w;
                img.height = h;
            }
            img.decoding = 'async';
            img.addEventListener('error', () => {
                figure.classList.add('missing');
                link.textContent = 'Image no longer available';
            });
            link.appendChild(img);
            const caption = document.createElement('figcaption');
            const seedLabel = document.createElement('span');
            seedLabel.textContent = 'seed ';
            const seedValue = document.createElement('code');
            seedValue.textContent = String(image.seed);
            seedLabel.appendChild(seedValue);
            const reuse = document.createElement('button');
            reuse.type = 'button';
            reuse.className = 'small';
            reuse.textContent = 'Use seed';
            reuse.setAttribute('aria-label', `Use seed ${image.seed} of image ${i + 1}`);
            reuse.addEventListener('click', () => useSeed(image.seed));
            caption.append(seedLabel, reuse);
            figure.append(link, caption);
            item.appendChild(figure);
            list.appendChild(item);
        });
        group.append(title, meta, list);
        el.gallery.prepend(group);
        el.galleryEmpty.hidden = true;
    }

    function useSeed(seed) {
        el.seed.value = String(seed);
        el.n.value = '1';
        setStatus(`Seed ${seed} set with one image: generate with the same prompt and settings to get that image again.`);
        el.seed.focus();
    }

    // ------------------------------------------------------------------ a job's life

    async function submit(event) {
        event.preventDefault();
        if (current) {
            return;
        }
        clearError();
        resetPreview();
        setBusy(true);
        setStatus('Submitting…');
        showIndeterminate('Submitting…');
        const size = el.size.value;
        const prompt = el.prompt.value.trim();
        let view;
        try {
            view = await api('POST', 'v1/jobs', requestBody());
        } catch (error) {
            showError(error);
            setStatus('Not started.');
            showProgress(0, 'Nothing running.');
            setBusy(false);
            return;
        }
        const job = {
            id: view.id,
            prompt,
            size,
            startedAt: performance.now(),
            lastEventId: null,
            state: view.state,
            done: false,
            controller: new AbortController(),
        };
        current = job;
        showQueued(job, view.queue_position);
        watchQueue(job);
        follow(job);
    }

    function showQueued(job, position) {
        if (job.done || job.state !== 'queued') {
            return;
        }
        let where = '';
        if (typeof position === 'number') {
            where = position === 0 ? ' (next)' : ` (${position} ${position === 1 ? 'job' : 'jobs'} ahead)`;
        }
        setStatus('Queued' + where + '.');
        showIndeterminate('Waiting for a worker…');
    }

    /** While the job waits in the queue, shows its position (the events do not carry it). */
    async function watchQueue(job) {
        while (!job.done && job.state === 'queued') {
            await sleep(QUEUE_POLL_MS);
            if (job.done || job.state !== 'queued') {
                return;
            }
            try {
                const view = await api('GET', 'v1/jobs/' + encodeURIComponent(job.id));
                if (view.state === 'queued') {
                    showQueued(job, view.queue_position);
                }
            } catch (error) {
                return; // The event stream reports what matters.
            }
        }
    }

    /** Follows the job's events until a terminal one, resuming with Last-Event-ID if the stream drops. */
    async function follow(job) {
        let failures = 0;
        while (!job.done) {
            try {
                await readEvents(job);
                failures = 0;
            } catch (error) {
                if (job.done || job.controller.signal.aborted) {
                    return;
                }
                if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
                    finish(job, 'Failed.', error);
                    return;
                }
                failures++;
            }
            if (job.done) {
                return;
            }
            // The stream ended without a terminal event: the job may have ended meanwhile.
            if (await settleFromView(job)) {
                return;
            }
            if (failures >= MAX_FAILURES) {
                finish(job, 'Lost the connection to the gateway.', new ApiError(
                    'The event stream of job ' + job.id + ' keeps failing; reload the page to try again.', 0, null));
                return;
            }
            await sleep(500 * Math.max(1, failures));
        }
    }

    /** Ends the job from GET /v1/jobs/{id} if it is already over; true if it was. */
    async function settleFromView(job) {
        let view;
        try {
            view = await api('GET', 'v1/jobs/' + encodeURIComponent(job.id));
        } catch (error) {
            if (error.status === 404) {
                finish(job, 'Failed.', error);
                return true;
            }
            return false;
        }
        if (view.state === 'succeeded') {
            onEvent(job, 'completed', view);
        } else if (view.state === 'failed') {
            onEvent(job, 'failed', view);
        } else if (view.state === 'cancelled') {
            onEvent(job, 'cancelled', view);
        }
        return job.done;
    }

    /** Reads GET /v1/jobs/{id}/events (text/event-stream) with fetch and hands each event to onEvent. */
    async function readEvents(job) {
        const headers = {Accept: 'text/event-stream', ...authHeaders()};
        if (job.lastEventId) {
            headers['Last-Event-ID'] = job.lastEventId;
        }
        const response = await fetch('v1/jobs/' + encodeURIComponent(job.id) + '/events', {
            headers,
            cache: 'no-store',
            signal: job.controller.signal,
        });
        if (!response.ok) {
            throw await errorOf(response);
        }
        const parser = new SseParser((type, data, id) => {
            if (id !== null) {
                job.lastEventId = id;
            }
            let parsed = {};
            try {
                parsed = data === '' ? {} : JSON.parse(data);
            } catch (e) {
                return; // Not an event of ours.
            }
            onEvent(job, type, parsed);
        });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
            const {value, done} = await reader.read();
            if (done) {
                parser.push(decoder.decode(), true);
                return;
            }
            parser.push(decoder.decode(value, {stream: true}), false);
            if (job.done) {
                reader.cancel().catch(() => {});
                return;
            }
        }
    }

    function onEvent(job, type, data) {
        if (job.done) {
            return;
        }
        switch (type) {
            case 'queued':
                showQueued(job, undefined);
                break;
            case 'started':
                job.state = 'running';
                setStatus('Running.');
                showProgress(0, 'Starting…');
                break;
            case 'stage':
            case 'progress':
                if (job.state === 'queued') {
                    job.state = 'running';
                    setStatus('Running.');
                }
                showStep(data);
                break;
            case 'preview':
                showStep(data);
                showPreview(data);
                break;
            case 'completed': {
                const images = Array.isArray(data.data) ? data.data : [];
                showProgress(1, 'Done.');
                addResults(job, images);
                finish(job, `Done: ${images.length} ${images.length === 1 ? 'image' : 'images'} in ${seconds(job)}.`, null);
                break;
            }
            case 'failed': {
                const message = data.error && data.error.message ? data.error.message : 'The job failed.';
                finish(job, 'Failed.', new ApiError(message, 0, data.error ? data.error.code : null));
                break;
            }
            case 'cancelled':
                showProgress(0, 'Cancelled.');
                finish(job, 'Cancelled.', null);
                break;
            default:
                break;
        }
    }

    function finish(job, status, error) {
        if (job.done) {
            return;
        }
        job.done = true;
        job.state = 'done';
        if (error) {
            showError(error);
            showProgress(0, 'Stopped.');
        }
        setStatus(status);
        if (current === job) {
            current = null;
            setBusy(false);
        }
        // Close the event stream if it is still open.
        setTimeout(() => job.controller.abort(), 0);
    }

    async function cancel() {
        const job = current;
        if (!job) {
            return;
        }
        el.cancel.disabled = true;
        setStatus('Cancelling…');
        try {
            await api('DELETE', 'v1/jobs/' + encodeURIComponent(job.id));
            // The event stream brings the 'cancelled' event.
        } catch (error) {
            if (job.done) {
                return;
            }
            showError(error);
            if (error.code !== 'job_finished') {
                el.cancel.disabled = false;
            }
        }
    }

    function sleep(ms) {
        return new Promise((resolve) => setTimeout(resolve, ms));
    }

    /**
     * A Server-Sent Events parser (the WHATWG event-stream format): fed text chunks, it calls
     * onEvent(type, data, lastEventId) once per complete event.
     */
    class SseParser {
        constructor(onEvent) {
            this.onEvent = onEvent;
            this.buffer = '';
            this.type = '';
            this.data = [];
            this.id = null;
        }

        push(text, final) {
            const buffer = this.buffer + text;
            let start = 0;
            for (let i = 0; i < buffer.length; i++) {
                const c = buffer[i];
                if (c !== '\n' && c !== '\r') {
                    continue;
                }
                if (c === '\r' && i + 1 === buffer.length && !final) {
                    break; // A '\n' may follow in the next chunk.
                }
                this.line(buffer.slice(start, i));
                if (c === '\r' && buffer[i + 1] === '\n') {
                    i++;
                }
                start = i + 1;
            }
            this.buffer = buffer.slice(start);
            if (final && this.buffer !== '') {
                this.line(this.buffer);
                this.buffer = '';
            }
        }

        line(line) {
            if (line === '') {
                if (this.data.length > 0) {
                    this.onEvent(this.type || 'message', this.data.join('\n'), this.id);
                }
                this.type = '';
                this.data = [];
                return;
            }
            if (line.startsWith(':')) {
                return; // A comment.
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) {
                value = value.slice(1);
            }
            if (field === 'event') {
                this.type = value;
            } else if (field === 'data') {
                this.data.push(value);
            } else if (field === 'id' && !value.includes('\0')) {
                this.id = value;
            }
        }
    }

    // ------------------------------------------------------------------ wiring

    el.key.value = storedKey();
    showKeyState();
    el.key.addEventListener('input', () => {
        storeKey(el.key.value.trim());
        showKeyState();
    });
    el.form.addEventListener('submit', submit);
    el.cancel.addEventListener('click', cancel);
    el.prompt.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            el.generate.click(); // does nothing while a job runs (disabled)
        }
    });
})();
