namespace DeepPcr.Solvers;

/// <summary>
/// What produced a chain's states. The parallel methods are the one Newton loop with a Jacobian choice
/// (<see cref="DeepPcr.Newton.JacobianChoice"/>) and a step control; their JSON names are in <see cref="SolverNames"/>.
/// </summary>
public enum ChainMethod
{
    /// <summary>"sequential": the plain pass, one step after another.</summary>
    Sequential,

    /// <summary>"deeppcr": Newton with the exact Jacobian, each step one PCR solve.</summary>
    DeepPcr,

    /// <summary>"quasi-newton-diagonal": the Jacobian's diagonal.</summary>
    QuasiNewtonDiagonal,

    /// <summary>"quasi-newton-scalar": trace / w times the identity.</summary>
    QuasiNewtonScalar,

    /// <summary>"picard": no linear part (Jacobi / Picard iteration).</summary>
    Picard,

    /// <summary>"elk": exact Newton with Levenberg–Marquardt damping.</summary>
    Elk,

    /// <summary>"deeppcr-trust-region": exact Newton with trust-region clipping.</summary>
    TrustRegion,

    /// <summary>"quasi-sqrt-alpha": scalar quasi-Newton with blocks sqrt(alpha_t) I (a diffusion sampler's contraction).</summary>
    QuasiSqrtAlpha,

    /// <summary>"quasi-trace": scalar quasi-Newton with blocks tr(J_t) / w, estimated on a few samples.</summary>
    QuasiTrace,
}

/// <summary>The fallback that produced a solve's states when a safeguard fired.</summary>
public enum Fallback
{
    /// <summary>"none": the method itself produced the states.</summary>
    None,

    /// <summary>"window": a windowed retry of the same method.</summary>
    Window,

    /// <summary>"sequential": the sequential pass.</summary>
    Sequential,
}
