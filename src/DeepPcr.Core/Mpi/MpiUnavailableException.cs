namespace DeepPcr.Mpi;

/// <summary>A distributed run was asked for where it cannot run: no libmpi, not Open MPI, or not launched by mpirun.</summary>
public sealed class MpiUnavailableException : Exception
{
    /// <summary>An exception with the message a user reads.</summary>
    public MpiUnavailableException(string message) : base(message) { }
}
