namespace DeepPcr.Linear;

/// <summary>
/// The number of threads the host kernels may use at once (the PCR rounds, the chunked solve and the fused
/// sequential loops): every core by default. A benchmark that states a thread count sets it here and in
/// TorchSharp alike, so that "1 thread" means one thread on every side.
/// </summary>
public static class HostThreads
{
    private static int limit = Environment.ProcessorCount;

    /// <summary>The cores of this machine: the largest useful <see cref="Limit"/>.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>Threads a host kernel may use, the caller's included (1 to <see cref="Cores"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public static int Limit
    {
        get => Volatile.Read(ref limit);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref limit, Math.Min(value, Cores));
        }
    }

    /// <summary>Sets <see cref="Limit"/> until the returned scope is disposed, then restores the previous value.</summary>
    /// <param name="threads">The limit while the scope lasts (at least 1; above <see cref="Cores"/> means every core).</param>
    public static Scope Use(int threads)
    {
        var scope = new Scope(Limit);
        Limit = threads;
        return scope;
    }

    /// <summary>Restores the limit in force before <see cref="Use"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int previous;

        internal Scope(int previous) => this.previous = previous;

        /// <summary>Restores the previous limit.</summary>
        public void Dispose() => Limit = previous;
    }
}
