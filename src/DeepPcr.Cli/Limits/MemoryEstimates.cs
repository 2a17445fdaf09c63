using DeepPcr.Chains;

namespace DeepPcr.Cli.Limits;

/// <summary>
/// One memory estimate per command family, computed in the command line from the arguments alone (the solver's
/// buffers are not asked for): states, Jacobians L*B*j (j = w^2 dense, w diagonal, 1 scalar, 0 for Picard and the
/// sequential pass: a null structure), the PCR workspace, and the copies that live beside them.
/// </summary>
public static class MemoryEstimates
{
    /// <summary>
    /// Jacobian-sized buffers counted per run: the Jacobians, the two PCR ping-pong buffers, and five more for the
    /// tiled layout's copies, the backward pass's own and what the garbage collector has not yet returned. Measured
    /// with /usr/bin/time: `deeppcr mlp` at (L, w, B) = (2048, 32, 8) and (1024, 32, 16), float32, peaked at 663 MB
    /// and 585 MB resident against 176 MB for a 2-layer run, 7.6 and 6.4 times the Jacobians' bytes; 8 keeps the
    /// estimate above both.
    /// </summary>
    public const int JacobianCopies = 8;

    /// <summary>Numbers per step and sample of a Jacobian of the given structure and width.</summary>
    public static double JacobianEntries(JacobianStructure? structure, double width) => structure switch
    {
        JacobianStructure.Dense => width * width,
        JacobianStructure.Diagonal => width,
        JacobianStructure.Scalar => 1,
        _ => 0,
    };

    /// <summary>
    /// A deep-MLP chain (mlp, demo, bench mlp, bench solvers, run, make-model): weights L*w^2 and their float64
    /// reference copy, states (iterate, outputs, residuals, float64 reference: six L*B*w buffers), Jacobians and
    /// the PCR workspace.
    /// </summary>
    public static MemoryEstimate Mlp(string run, double layers, double width, double batch, int bytes, JacobianStructure? structure)
    {
        double blocks = layers * batch * JacobianEntries(structure, width);
        return new MemoryEstimate(run)
            .Add("weights L*w^2", layers * width * width, bytes)
            .Add("float64 reference weights L*w^2", layers * width * width, 8)
            .Add("states L*B*w", layers * batch * width, 8, copies: 6)
            .Add("Jacobians, PCR workspace and copies L*B*w^2", blocks, bytes, copies: JacobianCopies);
    }

    /// <summary>make-model: the weights L*w^2 and the input and cotangent B*w, each drawn in float64 and kept in the file's dtype, and the file's bytes.</summary>
    public static MemoryEstimate ModelFiles(string run, double layers, double width, double batch, int bytes) =>
        new MemoryEstimate(run)
            .Add("weights L*w^2", layers * width * width, 8 + 2 * bytes)
            .Add("input and cotangent B*w", batch * width, 8 + 2 * bytes, copies: 2);

    /// <summary>
    /// DDPM sampling over T steps (sample diffusion, bench diffusion): the pre-drawn noise T*N*w, per chunk of
    /// samples the states, the denoiser's hidden activations T*chunk*H, the products of its dense Jacobian
    /// T*chunk*H*w (three live at once), and the Jacobians T*chunk*j with the PCR workspace and copies; float32.
    /// `sample diffusion` peaked at 1.68 GB resident at its defaults (T = 1000, N = 8, all samplers; estimate 2.2 GiB)
    /// and at 2.73 GB with T = 250, N = 64, chunk 64, deeppcr-dense (estimate 3.9 GiB).
    /// </summary>
    public static MemoryEstimate Diffusion(string run, double steps, double count, double chunk, double width, double hidden, JacobianStructure? structure)
    {
        double rows = steps * Math.Min(chunk, count);
        double blocks = rows * JacobianEntries(structure, width);
        return new MemoryEstimate(run)
            .Add("noise T*N*w", steps * count * width, 4)
            .Add("schedule T", steps, 8, copies: 6)
            .Add("states T*chunk*w", rows * width, 4, copies: 6)
            .Add("denoiser activations T*chunk*H", rows * hidden, 4, copies: 4)
            .Add("denoiser Jacobian products T*chunk*H*w", structure == JacobianStructure.Dense ? rows * hidden * width : 0, 4, copies: 3)
            .Add("Jacobians, PCR workspace and copies T*chunk*w^2", blocks, 4, copies: JacobianCopies);
    }

    /// <summary>
    /// ResNet training (train resnet): the blocks' weights with Adam's two moments per solver, the autograd graph of
    /// the sequential pass (eight L*B*w buffers), and DeepPCR's Jacobians L*B*w^2 with the PCR workspace and copies; float32.
    /// </summary>
    public static MemoryEstimate ResNet(string run, double depth, double width, double batch, int solvers)
    {
        double blocks = depth * batch * width * width;
        return new MemoryEstimate(run)
            .Add("weights and Adam moments L*w^2", depth * (width * width + width), 4, copies: 3 * Math.Max(1, solvers))
            .Add("states and graph L*B*w", depth * batch * width, 4, copies: 8)
            .Add("Jacobians, PCR workspace and copies L*B*w^2", blocks, 4, copies: JacobianCopies);
    }

    /// <summary>DDPM training (train diffusion): the schedule T, the denoiser's H*H weights with Adam and EMA copies, a batch's activations.</summary>
    public static MemoryEstimate DdpmTraining(string run, double steps, double hidden, double width, double batch) =>
        new MemoryEstimate(run)
            .Add("schedule T", steps, 8, copies: 6)
            .Add("denoiser weights H*(H+w)", hidden * (hidden + 2 * width), 4, copies: 4 * 2)
            .Add("activations batch*H", batch * hidden, 4, copies: 8);

    /// <summary>
    /// A stack of recurrent layers (run on a recurrent model file): per chain (layer and direction) the input
    /// projections T*B*G*H and the states T*B*w kept for the backward pass (w = H, or 2H for the LSTMs; six copies as
    /// for the MLP), and one chain's Jacobians T*B*j at a time (<paramref name="jacobianEntries"/> per step and sample:
    /// w^2 dense, H diagonal, 4H in 2 x 2 blocks of diagonals; 0 for a sequential forward pass without a backward pass)
    /// with the PCR workspace and copies.
    /// </summary>
    public static MemoryEstimate Recurrent(string run, double chains, double length, double batch, double gateRows, double stateWidth, double jacobianEntries, int bytes)
    {
        double steps = length * batch;
        return new MemoryEstimate(run)
            .Add("input projections T*B*G*H per chain", chains * steps * gateRows, bytes, copies: 2)
            .Add("states T*B*w per chain", chains * steps * stateWidth, bytes, copies: 6)
            .Add("Jacobians, PCR workspace and copies T*B*j", steps * jacobianEntries, bytes, copies: JacobianCopies);
    }

    /// <summary>make-model --cell: the parameters and the input, cotangent and initial states, each drawn in float64 and kept in the file's dtype, and the files' bytes.</summary>
    public static MemoryEstimate RecurrentModelFiles(string run, double parameters, double inputs, int bytes) =>
        new MemoryEstimate(run)
            .Add("parameters", parameters, 8 + 2 * bytes)
            .Add("input, cotangent and initial states", inputs, 8 + 2 * bytes);
}
