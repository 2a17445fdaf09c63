namespace DeepPcr.Chains;

/// <summary>
/// A step that computes from copies of its parameters (for example the weights of L separate layers stacked into one
/// (L, w, w) tensor for the host kernels) while its <see cref="IDifferentiableChainStep.Parameters"/> are the originals,
/// which receive the gradients. <see cref="Autograd.ChainModule"/> calls <see cref="Refresh"/> before every forward pass,
/// so that an optimiser's in-place updates are seen.
/// </summary>
public interface IParameterCopies
{
    /// <summary>Copies the current values of the parameters into the step's working copies.</summary>
    void Refresh();
}
