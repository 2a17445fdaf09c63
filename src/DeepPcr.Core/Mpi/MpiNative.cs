using System.Runtime.InteropServices;

namespace DeepPcr.Mpi;

/// <summary>
/// The handful of Open MPI calls the distributed backend needs, bound at run time from libmpi (libmpi.so.40, the
/// soname of Debian's and most distributions' Open MPI 4 and 5), so that nothing loads it unless a distributed run
/// is asked for. Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, MPI_DOUBLE, MPI_SUM, MPI_MAX) are the addresses of
/// exported globals (ompi_mpi_comm_world, ...), not integer constants, so they are resolved with
/// <see cref="NativeLibrary.GetExport"/>; a libmpi without them (MPICH) is refused with a message that says so.
/// </summary>
internal sealed unsafe class MpiNative
{
    /// <summary>MPI_PROC_NULL of Open MPI's mpi.h: a send or receive with this partner does nothing.</summary>
    public const int ProcNull = -2;

    /// <summary>The environment variable naming a libmpi to load instead of the default names.</summary>
    public const string LibraryVariable = "DEEPPCR_LIBMPI";

    private static readonly string[] DefaultNames = { "libmpi.so.40", "libmpi.so" };

    private MpiNative(IntPtr library, string name)
    {
        Library = name;
        CommWorld = Global(library, "ompi_mpi_comm_world");
        Byte = Global(library, "ompi_mpi_byte");
        Double = Global(library, "ompi_mpi_double");
        Sum = Global(library, "ompi_mpi_op_sum");
        Max = Global(library, "ompi_mpi_op_max");
        Init = (delegate* unmanaged<int*, byte***, int>)Function(library, "MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Function(library, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Function(library, "MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Function(library, "MPI_Finalize");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Function(library, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Function(library, "MPI_Comm_size");
        Sendrecv = (delegate* unmanaged<void*, int, IntPtr, int, int, void*, int, IntPtr, int, int, IntPtr, void*, int>)Function(library, "MPI_Sendrecv");
        Allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Function(library, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Function(library, "MPI_Bcast");
        Barrier = (delegate* unmanaged<IntPtr, int>)Function(library, "MPI_Barrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Function(library, "MPI_Abort");
        Wtime = (delegate* unmanaged<double>)Function(library, "MPI_Wtime");
    }

    /// <summary>The library that was loaded (a name or a path).</summary>
    public string Library { get; }

    /// <summary>MPI_COMM_WORLD.</summary>
    public IntPtr CommWorld { get; }

    /// <summary>MPI_BYTE.</summary>
    public IntPtr Byte { get; }

    /// <summary>MPI_DOUBLE.</summary>
    public IntPtr Double { get; }

    /// <summary>MPI_SUM.</summary>
    public IntPtr Sum { get; }

    /// <summary>MPI_MAX.</summary>
    public IntPtr Max { get; }

    public delegate* unmanaged<int*, byte***, int> Init { get; }
    public delegate* unmanaged<int*, int> Initialized { get; }
    public delegate* unmanaged<int*, int> Finalized { get; }
    public delegate* unmanaged<int> Finalize { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommRank { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommSize { get; }
    public delegate* unmanaged<void*, int, IntPtr, int, int, void*, int, IntPtr, int, int, IntPtr, void*, int> Sendrecv { get; }
    public delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> Allreduce { get; }
    public delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> Bcast { get; }
    public delegate* unmanaged<IntPtr, int> Barrier { get; }
    public delegate* unmanaged<IntPtr, int, int> Abort { get; }
    public delegate* unmanaged<double> Wtime { get; }

    /// <summary>Loads libmpi (the path in <see cref="LibraryVariable"/>, else the default names).</summary>
    /// <exception cref="MpiUnavailableException">No libmpi could be loaded, or it is not Open MPI.</exception>
    public static MpiNative Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
        var names = string.IsNullOrEmpty(chosen) ? DefaultNames : new[] { chosen };
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            {
                throw new MpiUnavailableException($"{name} is not Open MPI (it exports no ompi_mpi_comm_world); the distributed backend binds Open MPI's libmpi.so.40.");
            }
            return new MpiNative(handle, name);
        }
        throw new MpiUnavailableException(
            $"--distributed needs Open MPI, but no libmpi could be loaded (tried {string.Join(", ", names)}). "
            + "Install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or set " + LibraryVariable + " to the library's path.");
    }

    private static IntPtr Global(IntPtr library, string name) => NativeLibrary.GetExport(library, name);

    private static IntPtr Function(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new MpiUnavailableException($"The loaded libmpi exports no {name}; the distributed backend needs Open MPI 4 or later.");
}
