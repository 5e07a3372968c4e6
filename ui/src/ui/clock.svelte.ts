// "Now" for relative times, ticking twice a minute so "5m ago" stays true.
class Clock {
  now = $state(Date.now());

  constructor() {
    setInterval(() => {
      this.now = Date.now();
    }, 30_000);
  }
}

export const clock = new Clock();
